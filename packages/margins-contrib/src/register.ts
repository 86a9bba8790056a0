import { registerMargin } from '@arcface/margins';
import type { MarginInput, RegisterMarginOptions } from '@arcface/margins';
import { ADAFACE_DEFAULTS, adaFace } from './adaface';
import { CURRICULARFACE_DEFAULTS, curricularFace } from './curricular-face';
import { ELASTICFACE_DEFAULTS, elasticFace } from './elastic-face';
import { MAGFACE_DEFAULTS, magFace } from './mag-face';
import { SUBCENTER_ARCFACE_DEFAULTS, subcenterArcFace } from './subcenter-arcface';
import { UNIFACE_DEFAULTS, uniFace } from './uniface';

/** The options `createMargin('adaface', …)` takes. */
export type AdaFaceInput = MarginInput<typeof ADAFACE_DEFAULTS>;
/** The options `createMargin('curricularface', …)` takes. */
export type CurricularFaceInput = MarginInput<typeof CURRICULARFACE_DEFAULTS>;
/** The options `createMargin('magface', …)` takes. */
export type MagFaceInput = MarginInput<typeof MAGFACE_DEFAULTS>;
/** The options `createMargin('subcenter-arcface', …)` takes. */
export type SubcenterArcFaceInput = MarginInput<typeof SUBCENTER_ARCFACE_DEFAULTS>;
/** The options `createMargin('elasticface', …)` takes. */
export type ElasticFaceInput = MarginInput<typeof ELASTICFACE_DEFAULTS>;
/** The options `createMargin('uniface', …)` takes. */
export type UniFaceInput = MarginInput<typeof UNIFACE_DEFAULTS>;

// Module augmentation: once this package is imported, `createMargin('adaface', { m: 0.4 })`
// type-checks its name and options, as the built-ins do.
declare module '@arcface/margins' {
  interface MarginRegistry {
    adaface: AdaFaceInput;
    curricularface: CurricularFaceInput;
    magface: MagFaceInput;
    'subcenter-arcface': SubcenterArcFaceInput;
    elasticface: ElasticFaceInput;
    uniface: UniFaceInput;
  }
}

/** Every margin of this package, by registry name. */
export const CONTRIB_MARGINS = {
  adaface: adaFace,
  curricularface: curricularFace,
  magface: magFace,
  'subcenter-arcface': subcenterArcFace,
  elasticface: elasticFace,
  uniface: uniFace,
} as const;

/** A registry name of this package. */
export type ContribMarginName = keyof typeof CONTRIB_MARGINS;

/**
 * Registers every margin of this package with `@arcface/margins` (nothing is registered at
 * import time), so `createMargin('adaface')` and `arcface train --margin adaface` find them.
 * Returns a function that unregisters them all. Registering twice is a no-op; a different
 * factory already under one of the names throws unless `{ override: true }`.
 *
 * @example
 * ```ts
 * import { createMargin } from '@arcface/margins';
 * import { registerContribMargins } from '@arcface/margins-contrib';
 * const unregister = registerContribMargins();
 * console.log(createMargin('curricularface', { m: 0.5 }).name); // 'curricularface'
 * unregister();
 * ```
 */
export function registerContribMargins(options: RegisterMarginOptions = {}): () => void {
  const undo: Array<() => void> = [];
  try {
    for (const [name, factory] of Object.entries(CONTRIB_MARGINS)) {
      undo.push(registerMargin(name, factory as Parameters<typeof registerMargin>[1], options));
    }
  } catch (error) {
    // All or nothing: a clash on the fourth name leaves the first three unregistered again.
    for (const fn of undo.reverse()) fn();
    throw error;
  }
  return () => {
    for (const fn of undo.reverse()) fn();
  };
}
