import * as tf from '@tensorflow/tfjs-core';
import { compileInference, exportOnnx, importModel, iresnet, mobileFaceNet } from '@arcface/backbones';
import type { Measurement } from './workloads';

/** The networks of insightface's ONNX packs this compares: w600k_r50 and w600k_mbf. */
export const IMPORTED_NETWORKS = ['iresnet50', 'mobilefacenet'] as const;

/**
 * Inference of an imported insightface network against onnxruntime-node (CPU execution provider,
 * its default threads) on the same ONNX bytes, in the same process. The ONNX file is one of our
 * exports of a randomly initialised network, imported back through `importModel` — the same
 * graph layout (Conv, BatchNormalization, PRelu, Add, Flatten, Gemm) as insightface's files,
 * with the same code path as a real `w600k_r50.onnx`; weights do not change the timing. Ours
 * runs through `compileInference`. Ratio = ours ÷ onnxruntime (lower is better).
 */
export async function importedInference(backend: string, network: string, batch: number, side: number, reps: number): Promise<Measurement & { readonly referenceMs: number }> {
  // Loaded here, not at the top: the GPU machine's bundle leaves onnxruntime-node out.
  const ort = await import('onnxruntime-node');
  const built = network === 'iresnet50' ? iresnet(50, { inputShape: [side, side, 3] }) : mobileFaceNet({ inputShape: [side, side, 3] });
  let onnx: Uint8Array;
  try {
    onnx = await exportOnnx(built);
  } finally {
    built.dispose();
  }
  const { model } = importModel(onnx, { file: `${network}.onnx` });
  const plan = compileInference(model);
  const images = tf.randomNormal([batch, side, side, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
  const session = await ort.InferenceSession.create(onnx);
  try {
    const nchw = tf.tidy(() => tf.transpose(images, [0, 3, 1, 2]).dataSync() as Float32Array);
    const input = new ort.Tensor('float32', nchw, [batch, 3, side, side]);
    const feeds = { [session.inputNames[0]!]: input };
    const time = async (run: () => Promise<void>): Promise<number> => {
      await run();
      const times: number[] = [];
      for (let r = 0; r < reps; r += 1) {
        const started = performance.now();
        await run();
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    };
    const ours = await time(async () => {
      const y = plan.predict(images) as tf.Tensor;
      await y.data();
      y.dispose();
    });
    const reference = await time(async () => {
      await session.run(feeds);
    });
    return {
      workload: 'imported-inference',
      backend,
      detail: `${network} imported from ONNX ${side}×${side} B=${batch}, vs onnxruntime-node ${ort.env.versions.node ?? ''} CPU`,
      ms: ours,
      imagesPerSecond: (batch / ours) * 1000,
      referenceMs: reference,
    };
  } finally {
    await session.release();
    images.dispose();
    plan.dispose();
    model.dispose();
  }
}
