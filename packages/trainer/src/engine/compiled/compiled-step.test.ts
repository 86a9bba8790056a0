/**
 * The compiled WebGPU training step against the eager cpu step, on Dawn (llvmpipe on machines
 * without a GPU, see .ci/run): MobileFaceNet at 32×32 and iResNet-18 at 16×16, two SGD steps, every
 * gradient and every loss within 1e-4 relative, and the model's weights, running statistics
 * and optimiser slots mirrored back into their tfjs variables.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendSelection } from '@arcface/backend';
import { createSyntheticFaces } from '@arcface/data';
import { marginSoftmaxLoss } from '@arcface/margins';
import { registerGradients, registerTestBackends, seededValues } from '@arcface/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureTrainer, type ResolvedTrainer } from '../configure-trainer';
import { createTrainer } from '../create-trainer';
import { initialTrainingState } from '../training-state';
import type { TrainerConfig } from '../trainer-config';
import { adaptChannels } from '../../evaluation/embed';
import { clipByGlobalNorm } from '../../optim/clip';
import { learningRate } from '../../optim/learning-rate';
import { compileTrainerStep } from './compiled-step';

async function missingAdapter(): Promise<string | undefined> {
  try {
    const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): { requestAdapter(): Promise<unknown> } };
    return (await dawn.create([]).requestAdapter()) ? undefined : 'Dawn found no WebGPU adapter (install Mesa 25 vulkan drivers, see .ci/run)';
  } catch (error) {
    return `the webgpu package did not load (${(error as Error).message})`;
  }
}
const missing = await missingAdapter();
if (missing !== undefined) console.warn(`compiled WebGPU step test skipped: ${missing}`);

const BATCH = 4;
const STEPS = 2;
const CLASSES = 6;
const SEED = Number(process.env.SEED ?? 200);

function config(backbone: TrainerConfig['backbone'], overrides: Partial<TrainerConfig> = {}): TrainerConfig {
  return {
    backbone,
    margin: { name: 'additive-angular', options: { m: 0.5, s: 16 } },
    data: createSyntheticFaces({ identities: CLASSES, imagesPerIdentity: 2, size: 16, seed: 3 }),
    batchSize: BATCH,
    steps: STEPS,
    seed: 7,
    optimizer: { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
    schedule: { type: 'constant', lr: 0.05 },
    compile: 'always',
    ...overrides,
  };
}

const norm = (a: Float32Array) => Math.sqrt(a.reduce((sum, v) => sum + v * v, 0));

/**
 * Norm of the difference over the norm of the reference, or over `floor` where that is larger:
 * some gradients are 0 in exact arithmetic (β of a batch norm whose output only reaches another
 * batch norm through a linear layer), and both sides hold rounding noise there.
 */
function relative(actual: Float32Array, expected: Float32Array, floor = 0): number {
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff += ((actual[i] as number) - (expected[i] as number)) ** 2;
  return Math.sqrt(diff) / Math.max(norm(expected), floor, 1e-30);
}

/**
 * β of every batch norm before a PReLU set to 2.5, so that PReLU inputs seldom sit at the kink:
 * there float32 rounding may pick either branch on either side, and one element's 1e-7 becomes
 * a 1e-3 difference in every gradient upstream. About 0.6% of the inputs stay negative, enough
 * to check the slope's branch and its gradient.
 */
function offsetPreluInputs(model: ResolvedTrainer['model']): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'PReLU') continue;
    const norm = layer.inboundNodes[0]?.inboundLayers[0];
    const beta = norm?.weights.find((w) => w.originalName.endsWith('/beta'));
    if (beta === undefined) continue;
    beta.write(tf.fill(beta.shape as number[], 2.5));
  }
}

/** The eager step's math on the current backend: loss and gradients, then the update. */
async function eagerStep(run: ResolvedTrainer, slots: tf.Variable[][], pixels: Float32Array, labels: Int32Array, step: number) {
  const { model, head, optimizer, margin } = run;
  const { centers, slots: centerSlots } = head.fixedCenters!(optimizer);
  const vars = [...model.trainableWeights.map((w) => w.read() as tf.Variable), centers];
  const images = tf.tensor4d(pixels, [BATCH, run.height, run.width, 3]);
  const y = tf.tensor1d(labels, 'int32');
  const { value, grads } = tf.variableGrads(() => {
    const e = model.apply(adaptChannels(model, images), { training: true }) as tf.Tensor2D;
    return marginSoftmaxLoss(e, centers as tf.Tensor2D, y, margin, { step, training: true });
  }, vars);
  const loss = (await value.data())[0] as number;
  const gradients = new Map<tf.Variable, Float32Array>();
  for (const v of vars) gradients.set(v, (await grads[v.name]!.data()) as Float32Array);
  const lr = learningRate(run.schedule, step);
  // As the trainer: the backbone's gradient clipped to its global norm, the centres' not.
  const { norm: clipNorm, clipped } = clipByGlobalNorm(vars.slice(0, -1).map((v) => grads[v.name]!), run.clipNorm);
  clipNorm.dispose();
  tf.tidy(() => {
    vars.forEach((v, i) => {
      const last = i === vars.length - 1;
      const own = last ? [...centerSlots] : (slots[i] ??= optimizer.slots.map(() => tf.variable(tf.zerosLike(v), false)));
      const next = optimizer.update(v, last ? grads[v.name]! : clipped[i]!, own, lr, step + 1);
      v.assign(next.param);
      next.slots.forEach((s, k) => (own[k] as tf.Variable).assign(s));
    });
  });
  tf.dispose([images, y, value, ...clipped, ...Object.values(grads)]);
  return { loss, gradients };
}

const backbones: Array<[string, TrainerConfig['backbone'] & { options: { inputShape: readonly number[] } }]> = [
  ['MobileFaceNet', { name: 'mobilefacenet', options: { inputShape: [32, 32, 3], embeddingSize: 64 } }],
  ['iResNet-18', { name: 'iresnet18', options: { inputShape: [16, 16, 3], embeddingSize: 64 } }],
];

describe.skipIf(missing !== undefined)('the compiled WebGPU training step', () => {
  let selection: BackendSelection;
  beforeAll(async () => {
    await registerTestBackends();
    await registerGradients();
    selection = await selectBackend({ candidates: ['webgpu'], importer: (specifier) => import(/* @vite-ignore */ specifier) });
    expect(selection.chosen).toBe('webgpu');
  }, 180_000);
  afterAll(async () => {
    await selection?.release();
    await tf.setBackend('cpu');
    if (tf.findBackend('webgpu') !== null) tf.removeBackend('webgpu');
  });

  for (const [name, backbone] of backbones) {
    it(
      `${name}: ${STEPS} steps give cpu's losses and every gradient within 1e-4 relative, and write the weights back`,
      async () => {
        const size = backbone.options.inputShape[0] as number;
        const batches = Array.from({ length: STEPS }, (_, s) => ({
          pixels: Float32Array.from(seededValues(SEED + s, BATCH * size * size * 3), (v) => v * 127.5),
          labels: Int32Array.from({ length: BATCH }, (_, i) => (i * 5 + s) % CLASSES),
        }));

        await tf.setBackend('cpu');
        const cpu = configureTrainer(config(backbone));
        offsetPreluInputs(cpu.model);
        const cpuSlots: tf.Variable[][] = [];
        const cpuVars = [...cpu.model.trainableWeights.map((w) => w.read() as tf.Variable), cpu.head.fixedCenters!(cpu.optimizer).centers];
        await tf.setBackend('webgpu');
        const gpu = configureTrainer(config(backbone));
        offsetPreluInputs(gpu.model);
        const state = initialTrainingState();
        const compiled = await compileTrainerStep(gpu, state);
        try {
          expect(compiled.summary.submissions).toBe(1);
          const params = compiled.graph.params;
          const gpuVars = [...gpu.model.trainableWeights.map((w) => w.read() as tf.Variable), gpu.head.fixedCenters!(gpu.optimizer).centers];
          for (let s = 0; s < STEPS; s++) {
            const { pixels, labels } = batches[s]!;
            await tf.setBackend('cpu');
            const want = await eagerStep(cpu, cpuSlots, pixels, labels, s);
            await tf.setBackend('webgpu');
            const metrics = await compiled.run(s, pixels, labels, learningRate(gpu.schedule, s));
            expect(Math.abs(metrics.loss - want.loss) / want.loss, `step ${s + 1} loss: compiled ${metrics.loss}, cpu ${want.loss}`).toBeLessThan(1e-4);
            const grads = await compiled.gradients();
            // 1e-3 of the whole gradient's norm: the scale below which a gradient is rounding noise.
            const floor = 1e-3 * Math.hypot(...[...want.gradients.values()].map(norm));
            const errors: Array<[string, number]> = [];
            params.forEach((p, i) => {
              const got = grads.get(i);
              if (got === undefined) return;
              const ref = want.gradients.get(cpuVars[gpuVars.indexOf(p.variable)] as tf.Variable) as Float32Array;
              errors.push([p.name, relative(got, ref, floor)]);
            });
            expect(errors).toHaveLength(gpuVars.length);
            // The mirror: every weight and running statistic the step wrote is in its tfjs variable
            // (a β that moved by rounding noise alone is again measured against the whole).
            const pairs = await Promise.all(
              cpu.model.weights.map(async (w, i) => [(await gpu.model.weights[i]!.read().data()) as Float32Array, (await w.read().data()) as Float32Array] as const),
            );
            const weightFloor = 1e-3 * Math.hypot(...pairs.map(([, b]) => norm(b)));
            const weights = pairs.map(([a, b], i) => [`${cpu.model.weights[i]!.originalName} after the update`, relative(a, b, weightFloor)] as [string, number]);
            const worst = [...errors, ...weights].filter(([, e]) => !(e < 1e-4));
            expect(worst, `step ${s + 1}: gradients or weights off by more than 1e-4 relative`).toEqual([]);
            // The next step starts from the cpu's state exactly (the step reloads reassigned
            // variables), so that each comparison measures one step's own rounding.
            const cpuState = [...cpu.model.weights.map((w) => w.read()), ...cpuVars.slice(-1), ...cpuSlots.flat(), ...cpu.head.fixedCenters!(cpu.optimizer).slots];
            const gpuState = [...gpu.model.weights.map((w) => w.read()), ...gpuVars.slice(-1), ...state.slots.flat(), ...gpu.head.fixedCenters!(gpu.optimizer).slots];
            for (let k = 0; k < cpuState.length; k++) {
              const values = (await cpuState[k]!.data()) as Float32Array;
              (gpuState[k] as tf.Variable).assign(tf.tensor(values, gpuState[k]!.shape));
            }
          }
          const slot = (await state.slots[0]![0]!.data()) as Float32Array;
          expect(relative(slot, (await cpuSlots[0]![0]!.data()) as Float32Array)).toBeLessThan(1e-4);
        } finally {
          compiled.dispose();
          gpu.model.dispose();
          gpu.head.dispose();
          tf.dispose(state.slots.flat());
          await tf.setBackend('cpu');
          cpu.model.dispose();
          cpu.head.dispose();
          tf.dispose(cpuSlots.flat());
        }
      },
      600_000,
    );
  }

  for (const [name, backbone] of backbones) {
    it(`${name}: createTrainer on webgpu trains through the compiled step`, async () => {
      await tf.setBackend('webgpu');
      const size = backbone.options.inputShape[0] as number;
      const trainer = createTrainer(
        config(backbone, {
          data: createSyntheticFaces({ identities: CLASSES, imagesPerIdentity: 2, size, seed: 3 }),
          steps: 6,
          schedule: { type: 'constant', lr: 0.1 },
        }),
      );
      try {
        const first = trainer.model.trainableWeights[0]!.read();
        const before = (await first.data()) as Float32Array;
        const { history } = await trainer.train();
        expect(trainer.stepMode?.kind).toBe('compiled');
        expect(history).toHaveLength(6);
        expect(history.every((m) => Number.isFinite(m.loss) && Number.isFinite(m.gradNorm) && m.thetaY > 0 && m.thetaY < 180)).toBe(true);
        // The model's own variables hold the trained weights (the step mirrors them back).
        const after = (await trainer.model.trainableWeights[0]!.read().data()) as Float32Array;
        expect(after.some((v, i) => v !== before[i])).toBe(true);
      } finally {
        trainer.dispose();
        await tf.setBackend('cpu');
      }
    }, 300_000);
  }
});
