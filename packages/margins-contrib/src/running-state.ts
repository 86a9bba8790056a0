import * as tf from '@tensorflow/tfjs-core';

/**
 * A scalar statistic a margin carries between training steps (AdaFace's μ and σ of the feature
 * norms, CurricularFace's t). It stays on the backend as a kept tensor: reading it back each step
 * would force a device sync (and `dataSync` does not exist on WebGPU in Node).
 */
export class RunningScalar {
  private value: tf.Scalar | undefined;

  constructor(private readonly initial: number) {}

  /** The current value (created on first use). The caller must not dispose it. */
  current(): tf.Scalar {
    this.value ??= tf.keep(tf.scalar(this.initial));
    return this.value;
  }

  /** Replaces the value by `next` (kept here, so call it inside `tf.tidy` freely). */
  update(next: tf.Scalar): void {
    const old = this.value;
    this.value = tf.keep(next);
    old?.dispose();
  }

  /** Reads the value (async: works on every backend). */
  async read(): Promise<number> {
    return (await this.current().data())[0] as number;
  }

  /** Back to the initial value; frees the tensor. */
  reset(): void {
    this.value?.dispose();
    this.value = undefined;
  }
}
