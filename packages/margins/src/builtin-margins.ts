import { additiveAngular } from './additive-angular';
import { additiveCosine } from './additive-cosine';
import { combined } from './combined';
import { multiplicativeAngular } from './multiplicative-angular';
import { softmaxNormalized } from './softmax-normalized';

/**
 * The built-in margins by name: plain values, looked up by `createMargin` when nothing is
 * registered under the name. Nothing is registered at import time.
 */
export const BUILTIN_MARGINS = Object.freeze({
  'additive-angular': additiveAngular,
  'additive-cosine': additiveCosine,
  'multiplicative-angular': multiplicativeAngular,
  combined,
  'softmax-normalized': softmaxNormalized,
});
