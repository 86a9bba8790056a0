import { ArcfaceError } from '@arcface/core';
import { afterEach, describe, expect, it } from 'vitest';
import { additiveAngular } from './additive-angular';
import { defineMargin } from './define-margin';
import { InvalidMarginError, MarginAlreadyRegisteredError, MarginOptionError, UnknownMarginError } from './errors';
import { MARGIN_SPEC_VERSION } from './margin-fn';
import { MARGIN_REGISTRY_KEY, createMargin, listMargins, registerMargin } from './registry';

const linearAngular = defineMargin({
  name: 'linear-angular',
  defaults: { m: 0.3 },
  setup: ({ m }) => ({ targetLogit: (theta) => Math.cos(theta) - (m * theta) / Math.PI }),
});
const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

describe('registry', () => {
  it('resolves every built-in with nothing registered, and lists them', () => {
    const shared = (globalThis as Record<symbol, Map<string, unknown> | undefined>)[MARGIN_REGISTRY_KEY];
    expect(shared === undefined || shared.size === 0).toBe(true); // nothing registered at import time
    expect(listMargins()).toEqual(['additive-angular', 'additive-cosine', 'combined', 'multiplicative-angular', 'softmax-normalized']);
    for (const name of listMargins()) {
      const margin = createMargin(name);
      expect(margin.name).toBe(name);
      expect(margin.specificationVersion).toBe(MARGIN_SPEC_VERSION);
      expect(margin.scale).toBe(64);
      expect(margin.gradient).toBe('exact');
    }
  });

  it('fills defaults and rebuilds an equal margin from name + JSON options', () => {
    const arc = createMargin('additive-angular');
    expect(arc.options).toEqual({ m: 0.5, boundary: 'thmm', s: 64, gradient: 'exact' });
    const sphere = createMargin('multiplicative-angular');
    expect(sphere.options).toEqual({ m: 4, lambda: null, base: 1000, gamma: 0.12, power: 1, lambda_min: 5, s: 64, gradient: 'exact' });
    for (const margin of [arc, sphere, createMargin('combined', { m1: 0.9, m2: 0.4, m3: 0.15 })]) {
      const rebuilt = createMargin(margin.name, JSON.parse(JSON.stringify(margin.options)));
      expect(rebuilt.options).toEqual(margin.options);
      expect(rebuilt.targetLogit(2.5, 100)).toBe(margin.targetLogit(2.5, 100));
    }
  });

  it('registers, resolves and unregisters a plugin', () => {
    const unregister = registerMargin('linear-angular', linearAngular);
    cleanups.push(unregister);
    expect(listMargins()).toContain('linear-angular');
    const margin = createMargin('linear-angular' as string, { m: 0.2 });
    expect(margin.targetLogit(Math.PI)).toBeCloseTo(-1.2, 12);
    unregister();
    expect(listMargins()).not.toContain('linear-angular');
    expect(() => createMargin('linear-angular' as string)).toThrow(UnknownMarginError);
  });

  it('shares one registry across copies through a Symbol.for key on globalThis', () => {
    cleanups.push(registerMargin('linear-angular', linearAngular));
    const shared = (globalThis as Record<symbol, Map<string, unknown>>)[Symbol.for('@arcface/margins.registry')];
    expect(shared?.get('linear-angular')).toBe(linearAngular);
    // what a second copy of the package would do: write through the same key
    const other = () => linearAngular({ m: 0.1 });
    shared?.set('from-another-copy', other);
    cleanups.push(() => shared?.delete('from-another-copy'));
    expect(createMargin('from-another-copy' as string).options).toMatchObject({ m: 0.1 });
  });

  it('treats the same factory twice as a no-op, and refuses a different one unless override', () => {
    cleanups.push(registerMargin('linear-angular', linearAngular));
    const again = registerMargin('linear-angular', linearAngular);
    again(); // the no-op registration's unregister leaves the first one in place
    expect(listMargins()).toContain('linear-angular');
    const impostor = defineMargin({ name: 'linear-angular', defaults: {}, setup: () => ({ targetLogit: Math.cos }) });
    expect(() => registerMargin('linear-angular', impostor)).toThrow(MarginAlreadyRegisteredError);
    try {
      registerMargin('linear-angular', impostor);
    } catch (error) {
      expect(error).toBeInstanceOf(ArcfaceError);
      expect((error as MarginAlreadyRegisteredError).code).toBe('ERR_MARGIN_ALREADY_REGISTERED');
      expect((error as Error).message).toContain("'linear-angular'");
    }
    const restore = registerMargin('linear-angular', impostor, { override: true });
    expect(createMargin('linear-angular' as string).options).toEqual({ s: 64, gradient: 'exact' });
    restore(); // brings back what it replaced
    expect(createMargin('linear-angular' as string).options).toEqual({ m: 0.3, s: 64, gradient: 'exact' });
  });

  it('protects built-in names, and lets an override shadow one until unregistered', () => {
    const cosine = defineMargin({ name: 'additive-angular', defaults: {}, setup: () => ({ targetLogit: Math.cos }) });
    expect(() => registerMargin('additive-angular', cosine)).toThrow(MarginAlreadyRegisteredError);
    expect(registerMargin('additive-angular', additiveAngular)).toBeTypeOf('function'); // the built-in itself: no-op
    const unregister = registerMargin('additive-angular', cosine, { override: true });
    expect(createMargin('additive-angular').targetLogit(1)).toBe(Math.cos(1));
    unregister();
    expect(createMargin('additive-angular').targetLogit(1)).toBe(Math.cos(1.5));
  });

  it('names the unknown margin and lists the known ones', () => {
    const attempt = () => createMargin('arcfac' as string);
    expect(attempt).toThrow(UnknownMarginError);
    expect(attempt).toThrow("'arcfac' is not registered; known: additive-angular, additive-cosine, combined, multiplicative-angular, softmax-normalized");
    try {
      attempt();
    } catch (error) {
      expect((error as UnknownMarginError).code).toBe('ERR_UNKNOWN_MARGIN');
      expect((error as UnknownMarginError).known).toContain('combined');
    }
  });

  it('refuses bad registrations and factories that do not return a margin', () => {
    expect(() => registerMargin('', linearAngular)).toThrow(InvalidMarginError);
    expect(() => registerMargin('x', 'not a function' as never)).toThrow(InvalidMarginError);
    cleanups.push(registerMargin('broken', (() => ({ name: 'broken' })) as never));
    expect(() => createMargin('broken' as string)).toThrow(/the factory registered as 'broken' specificationVersion is undefined/);
  });
});

describe('option checks', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['additive-angular', { m: 2 }, /option 'm' must be in \[0, 1.57\d+\], got 2/],
    ['additive-angular', { m: -0.1 }, /option 'm' must be in .*got -0.1/],
    ['additive-angular', { boundary: 'easy-margin' }, /option 'boundary' must be one of none \| easy \| thmm \| reflect, got 'easy-margin'/],
    ['additive-angular', { s: 0 }, /option 's' must be in \(0, ∞\), got 0/],
    ['additive-angular', { s: Number.NaN }, /option 's' must be a finite number, got NaN/],
    ['additive-angular', { gradient: 'approximate' }, /option 'gradient' must be one of exact \| straight-through/],
    ['additive-cosine', { m: 1.5 }, /option 'm' must be in \[0, 1\], got 1.5/],
    ['multiplicative-angular', { m: 2.5 }, /option 'm' must be an integer, got 2.5/],
    ['multiplicative-angular', { m: 0 }, /option 'm' must be in \[1, 10\], got 0/],
    ['multiplicative-angular', { lambda: -1 }, /option 'lambda' must be in \[0, ∞\), got -1/],
    ['multiplicative-angular', { lambdaMin: 5 }, /option 'lambdaMin' is not an option of this margin; known: m, lambda, base, gamma, power, lambda_min, s, gradient/],
    ['combined', { m1: 0 }, /option 'm1' must be in \(0, 2\], got 0/],
    ['combined', { m3: 2 }, /option 'm3' must be in \[0, 1\], got 2/],
    ['combined', { boundary: 'thmm' }, /option 'boundary' must be one of none \| reflect, got 'thmm'/],
    ['softmax-normalized', { m: 0.2 }, /option 'm' is not an option of this margin/],
  ];
  for (const [name, options, message] of cases) {
    it(`${name} ${JSON.stringify(options)} → MarginOptionError`, () => {
      const attempt = () => createMargin(name as string, options as never);
      expect(attempt).toThrow(MarginOptionError);
      expect(attempt).toThrow(message);
      try {
        attempt();
      } catch (error) {
        expect((error as MarginOptionError).code).toBe('ERR_MARGIN_OPTION');
        expect((error as MarginOptionError).margin).toBe(name);
      }
    });
  }
});
