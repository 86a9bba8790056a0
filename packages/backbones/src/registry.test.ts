import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@arcface/testing';
import { BackboneOptionsError, BackboneRegistrationError, UnknownBackboneError } from './errors';
import { createBackbone, listBackbones, registerBackbone } from './registry';
import { mlp } from './small-nets';

describe('backbone registry', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('lists the built-ins', () => {
    expect(listBackbones()).toEqual(
      expect.arrayContaining(['iresnet18', 'iresnet34', 'iresnet50', 'iresnet100', 'mobilefacenet', 'tiny-cnn', 'mlp']),
    );
  });

  it('an unknown name throws a typed error naming it and the known ones', () => {
    let error: unknown;
    try {
      createBackbone('iresnet51');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownBackboneError);
    expect((error as UnknownBackboneError).code).toBe('ERR_UNKNOWN_BACKBONE');
    expect((error as Error).message).toContain("'iresnet51'");
    expect((error as Error).message).toContain('iresnet50');
  });

  it('registers a plugin, refuses a clash without override, and unregisters', () => {
    const factory = (o: object) => mlp({ ...o, hidden: [4] });
    const unregister = registerBackbone('my-net', factory);
    expect(listBackbones()).toContain('my-net');
    const model = createBackbone('my-net', { inputShape: [2, 2, 1], embeddingSize: 3 });
    expect(model.outputs[0]?.shape).toEqual([null, 3]);
    model.dispose();
    expect(() => registerBackbone('my-net', (o) => mlp(o))).toThrow(BackboneRegistrationError);
    expect(() => registerBackbone('mlp', (o) => mlp(o))).toThrow(BackboneRegistrationError);
    unregister();
    expect(listBackbones()).not.toContain('my-net');
  });

  it('bad options get a typed error with the value', () => {
    expect(() => createBackbone('iresnet18', { inputShape: [100, 100, 3] })).toThrow(/multiples of 16.*100×100/);
    expect(() => createBackbone('mlp', { embeddingSize: 0 })).toThrow(BackboneOptionsError);
    expect(() => createBackbone('tiny-cnn', { width: -1 })).toThrow(/width.*-1/);
    expect(() => createBackbone('mlp', { dropout: 1 })).toThrow(/dropout/);
  });
});
