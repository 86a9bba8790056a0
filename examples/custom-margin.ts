/**
 * A margin plugin written outside the library, through its public API only:
 *
 * 1. define "linear-angular", t(θ) = cos θ − m·θ/π (a margin that grows with the angle),
 *    with a tensor formula and its derivative, so the loss keeps its closed-form backward pass;
 * 2. declare it to the type system (module augmentation) and register it;
 * 3. run checkMargin on it;
 * 4. train a tiny linear embedding on clustered random data with plain tfjs SGD through
 *    marginSoftmaxLoss, printing the falling loss.
 *
 * Run: pnpm example
 */
// The union package registers tfjs' gradient functions, needed for the matMul of the linear
// embedding below; marginSoftmaxLoss itself differentiates in closed form and needs none.
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { checkMargin, createMargin, defineMargin, marginSoftmaxLoss, meanTargetAngle, registerMargin } from '@arcface/margins';

/** Options of the plugin, as callers pass them. */
export type LinearAngularOptions = { m?: number; s?: number; gradient?: 'exact' | 'straight-through' };

declare module '@arcface/margins' {
  interface MarginRegistry {
    'linear-angular': LinearAngularOptions;
  }
}

/** sin θ is clamped here so that dt/dc = 1 + m/(π·sin θ) stays finite at θ = 0 and θ = π. */
const MIN_SIN = 1e-3;

export const linearAngular = defineMargin({
  name: 'linear-angular',
  defaults: { m: 0.3 },
  validate(options, fail) {
    if (!(options.m >= 0 && options.m <= 1)) fail('m', `must be in [0, 1], got ${options.m}`);
  },
  setup: ({ m }) => ({
    targetLogit: (theta) => Math.cos(theta) - (m * theta) / Math.PI,
    // dt/dc = (dt/dθ)/(dc/dθ) = (−sin θ − m/π)/(−sin θ)
    targetDerivative: (c) => 1 + m / (Math.PI * Math.sqrt(1 - c * c)),
    target: (c) => tf.sub(c, tf.mul(tf.acos(tf.clipByValue(c, -1, 1)), m / Math.PI)),
    targetGradient: (c) =>
      tf.add(1, tf.div(m / Math.PI, tf.maximum(tf.sqrt(tf.relu(tf.sub(1, tf.square(c)))), MIN_SIN))),
  }),
});

export interface ExampleResult {
  readonly losses: number[];
  readonly angles: number[];
  readonly checkOk: boolean;
}

/** Registers the margin, checks it and trains for `steps` SGD steps; returns the loss per step. */
export async function runCustomMarginExample(
  options: { steps?: number; log?: (line: string) => void } = {},
): Promise<ExampleResult> {
  const { steps = 40, log = console.log } = options;
  await tf.ready();
  const unregister = registerMargin('linear-angular', linearAngular);
  try {
    const margin = createMargin('linear-angular', { m: 0.3, s: 16 });
    const report = checkMargin(margin);
    log(`checkMargin(linear-angular): ${report.ok ? 'ok' : JSON.stringify(report.violations.slice(0, 3))}`);

    // 8 classes as clusters in 16-d input space, 24 samples each; a linear map to 8-d embeddings.
    const [classes, perClass, inputDim, embeddingDim] = [8, 24, 16, 8];
    const { inputs, labels } = tf.tidy(() => {
      const means = tf.mul(tf.randomNormal([classes, inputDim], 0, 1, 'float32', 1), 2);
      const ids = tf.tensor1d(Array.from({ length: classes * perClass }, (_, i) => i % classes), 'int32');
      const noise = tf.randomNormal([classes * perClass, inputDim], 0, 1, 'float32', 2);
      return { inputs: tf.add(tf.gather(means, ids), noise) as tf.Tensor2D, labels: ids as tf.Tensor1D };
    });
    const projection = tf.variable(tf.randomNormal([inputDim, embeddingDim], 0, 0.3, 'float32', 3));
    const centers = tf.variable(tf.randomNormal([classes, embeddingDim], 0, 0.3, 'float32', 4));
    const optimizer = tf.train.sgd(0.5);

    const losses: number[] = [];
    const angles: number[] = [];
    for (let step = 0; step < steps; step++) {
      const loss = optimizer.minimize(
        () => marginSoftmaxLoss(tf.matMul(inputs, projection) as tf.Tensor2D, centers as tf.Tensor2D, labels, margin, { step, training: true }),
        true,
        [projection, centers],
      ) as tf.Scalar;
      const angle = tf.tidy(() => meanTargetAngle(tf.matMul(inputs, projection) as tf.Tensor2D, centers as tf.Tensor2D, labels));
      const [lossValue, angleValue] = [(await loss.data())[0] as number, (await angle.data())[0] as number];
      tf.dispose([loss, angle]);
      losses.push(lossValue);
      angles.push(angleValue);
      if (step % 5 === 0 || step === steps - 1) {
        log(`step ${String(step).padStart(2)}  loss ${lossValue.toFixed(4)}  mean θ_y ${angleValue.toFixed(1)}°`);
      }
    }
    tf.dispose([inputs, labels, projection, centers]);
    optimizer.dispose();
    return { losses, angles, checkOk: report.ok };
  } finally {
    unregister();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { losses } = await runCustomMarginExample();
  const [first, last] = [losses[0] as number, losses[losses.length - 1] as number];
  console.log(`loss ${first.toFixed(4)} → ${last.toFixed(4)} (${tf.getBackend()} backend)`);
  if (!(last < first)) process.exitCode = 1;
}
