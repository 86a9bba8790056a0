import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendSelectionReport } from '@arcface/backend';
import { describe, expect, it } from 'vitest';
import { reportOf, selectPageBackend } from './select-page-backend';

const require = createRequire(import.meta.url);
// In Node the wasm backend reads its binaries from a folder; in the page it is the build's wasm/.
const wasmBase = `${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`;

const selection = (candidates: BackendSelectionReport['candidates']): BackendSelectionReport => {
  const chosen = candidates.find((c) => c.status === 'chosen')!;
  return { name: chosen.name, chosen: chosen.name, environment: 'browser', candidates };
};

describe('reportOf', () => {
  it('says the first candidate is the fastest available', () => {
    const report = reportOf(selection([{ name: 'webgpu', status: 'chosen', reason: 'ran a conv training step' }]), 'auto');
    expect(report).toEqual({ name: 'webgpu', reason: 'the fastest available here', attempts: ['✓ webgpu  chosen   ran a conv training step'] });
  });

  it('names the faster candidates that could not be used, with every reason in the attempts', () => {
    const report = reportOf(
      selection([
        { name: 'webgpu', status: 'skipped', reason: 'this browser has no WebGPU' },
        { name: 'webgl', status: 'failed', reason: 'WebGL is a software renderer (SwiftShader), slower than WASM' },
        { name: 'wasm', status: 'chosen', reason: 'ran a conv training step' },
        { name: 'cpu', status: 'skipped', reason: 'not tried: wasm came first and works' },
      ]),
      'auto',
    );
    expect(report.name).toBe('wasm');
    expect(report.reason).toBe('the fastest that works here (webgpu, webgl not usable)');
    expect(report.attempts).toHaveLength(4);
    expect(report.attempts[1]).toMatch(/^✗ webgl\s+failed\s+WebGL is a software renderer/);
  });

  it('tells a forced backend from one that was asked for but could not be used', () => {
    const forced = reportOf(
      selection([
        { name: 'cpu', status: 'chosen', reason: 'ran a conv training step' },
        { name: 'webgpu', status: 'skipped', reason: 'not tried: cpu came first and works' },
      ]),
      'cpu',
    );
    expect(forced.reason).toBe('forced from the page');
    const refused = reportOf(
      selection([
        { name: 'webgpu', status: 'skipped', reason: 'this browser has no WebGPU' },
        { name: 'webgl', status: 'chosen', reason: 'ran a conv training step' },
      ]),
      'webgpu',
    );
    expect(refused.reason).toBe('webgpu was asked for but could not be used (this browser has no WebGPU); the fastest that works instead');
  });
});

describe('selectPageBackend through @arcface/backend', () => {
  it('skips what this host lacks, probes and picks wasm, then honours the switch', { timeout: 60_000 }, async () => {
    const auto = await selectPageBackend({ prefer: 'auto', wasmBase });
    expect(auto.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // Node has no WebGPU adapter and no canvas: both are skipped, and the report says why.
    expect(auto.reason).toBe('the fastest that works here (webgpu, webgl not usable)');
    expect(auto.attempts[1]).toMatch(/webgl\s+skipped\s+no canvas here/);
    expect(auto.attempts[2]).toMatch(/wasm\s+chosen\s+ran a conv training step/);

    const forced = await selectPageBackend({ prefer: 'cpu', wasmBase });
    expect(forced).toMatchObject({ name: 'cpu', reason: 'forced from the page' });
    expect(tf.getBackend()).toBe('cpu');
  });
});
