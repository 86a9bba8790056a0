import { checkNumberOption } from './option-checks';

/**
 * The λ annealing schedule of the original SphereFace (`sphereface_model.prototxt`):
 * λ = max(λ_min, base·(1 + γ·step)^(−power)). Option names follow the golden reference
 * (`lambda_min`, snake case, as in the Caffe and mxnet configs).
 */
export type SphereFaceLambdaSchedule = {
  /** λ at step 0 [1000]. */
  base: number;
  /** γ [0.12]. */
  gamma: number;
  /** power [1]. */
  power: number;
  /** Lower bound λ_min [5]. */
  lambda_min: number;
};

export const SPHEREFACE_LAMBDA_DEFAULTS: Readonly<SphereFaceLambdaSchedule> = Object.freeze({
  base: 1000,
  gamma: 0.12,
  power: 1,
  lambda_min: 5,
});

/**
 * λ at a training step: max(λ_min, base·(1 + γ·step)^(−power)).
 *
 * @example
 * sphereFaceLambda(0);   // 1000
 * sphereFaceLambda(100); // 1000 / 13 ≈ 76.92
 */
export function sphereFaceLambda(step: number, schedule: Partial<SphereFaceLambdaSchedule> = {}): number {
  const { base, gamma, power, lambda_min } = { ...SPHEREFACE_LAMBDA_DEFAULTS, ...schedule };
  checkNumberOption('multiplicative-angular', 'step', step, { min: 0 });
  return Math.max(lambda_min, base * Math.pow(1 + gamma * step, -power));
}
