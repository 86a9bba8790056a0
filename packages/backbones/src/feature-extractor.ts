import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError } from '@arcface/core';

/**
 * The part of a tfjs `GraphModel` (from `@tensorflow/tfjs-converter`) the adapter uses, typed
 * structurally so this package does not depend on the converter. A `LayersModel` fits too.
 */
export interface InferenceModel {
  predict(inputs: tf.Tensor, config?: object): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
  execute?(inputs: tf.Tensor | tf.NamedTensorMap, outputs?: string | string[]): tf.Tensor | tf.Tensor[];
  dispose?(): void;
}

/** Options of {@link frozenFeatureExtractor}. */
export interface FeatureExtractorOptions {
  /** `[height, width, channels]` the model expects (112×112×3 for insightface models). */
  readonly inputShape: readonly [number, number, number];
  /** Output node to read (graph models with several outputs); default: the model's first output. */
  readonly outputNode?: string;
  /**
   * Maps images as the caller has them (NHWC, float) to what the model expects, e.g. insightface's
   * (x − 127.5) / 127.5, or NHWC → NCHW for ONNX exports. Runs inside the same `tidy`.
   */
  readonly preprocess?: (images: tf.Tensor4D) => tf.Tensor;
}

/** A frozen embedding network: no trainable weights, forward only. */
export interface FeatureExtractor {
  readonly inputShape: readonly [number, number, number];
  /** Embeddings `[B, D]` for images `[B, h, w, c]`; leaves no intermediate tensors behind. */
  embed(images: tf.Tensor4D): tf.Tensor2D;
  /** Frees the wrapped model's weights. */
  dispose(): void;
}

/**
 * Wraps a pretrained model (typically `await tf.loadGraphModel(url)`) as a frozen feature
 * extractor: inputs are checked against `inputShape`, outputs are flattened to `[B, D]`, and
 * every call runs in `tf.tidy`. Graph models hold no trainable variables, so nothing here can
 * be updated by a training loop.
 *
 * @example
 * ```ts
 * import { loadGraphModel } from '@tensorflow/tfjs-converter';
 * const extractor = frozenFeatureExtractor(await loadGraphModel('/models/w600k_r50/model.json'), {
 *   inputShape: [112, 112, 3],
 *   preprocess: (x) => tf.div(tf.sub(x, 127.5), 127.5),
 * });
 * const embeddings = extractor.embed(faces); // [B, 512]
 * ```
 */
export function frozenFeatureExtractor(model: InferenceModel, options: FeatureExtractorOptions): FeatureExtractor {
  const { inputShape, outputNode, preprocess } = options;
  if (inputShape.length !== 3 || !inputShape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidArgumentError(`frozenFeatureExtractor: inputShape must be [h, w, c] positive integers, got [${inputShape.join(', ')}]`);
  }
  return {
    inputShape,
    embed(images: tf.Tensor4D): tf.Tensor2D {
      const [, h, w, c] = images.shape;
      if (images.rank !== 4 || h !== inputShape[0] || w !== inputShape[1] || c !== inputShape[2]) {
        throw new ShapeMismatchError(
          `frozenFeatureExtractor: expected images [B, ${inputShape.join(', ')}], got [${images.shape.join(', ')}]`,
        );
      }
      return tf.tidy(() => {
        const input = preprocess ? preprocess(images) : images;
        let output: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
        if (outputNode !== undefined) {
          if (model.execute === undefined) {
            throw new InvalidArgumentError(`frozenFeatureExtractor: outputNode '${outputNode}' needs a model with execute() (a GraphModel)`);
          }
          output = model.execute(input, outputNode);
        } else {
          output = model.predict(input);
        }
        const first = firstTensor(output);
        return tf.reshape(first, [first.shape[0] ?? -1, -1]) as tf.Tensor2D;
      });
    },
    dispose() {
      model.dispose?.();
    },
  };
}

function firstTensor(output: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor {
  if (output instanceof tf.Tensor) return output;
  const first = Array.isArray(output) ? output[0] : Object.values(output)[0];
  if (first === undefined) throw new InvalidArgumentError('frozenFeatureExtractor: the model returned no output');
  return first;
}
