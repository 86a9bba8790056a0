import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ArchitectureMismatchError } from '../errors';
import { GROUPED_SUFFIXES } from '../layers';
import type { TorchModule } from './architecture';

/** A float tensor in PyTorch's layout (NCHW, weights [out, in/groups, kh, kw], FC [out, in]). */
export interface TorchTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** One module's weights in PyTorch's layout; `source` names where they came from, for errors. */
export type ModuleWeights =
  | { readonly kind: 'conv'; readonly source: string; readonly weight: TorchTensor }
  | {
      readonly kind: 'bn';
      readonly source: string;
      readonly weight: TorchTensor;
      readonly bias: TorchTensor;
      readonly mean: TorchTensor;
      readonly variance: TorchTensor;
    }
  | { readonly kind: 'prelu'; readonly source: string; readonly weight: TorchTensor }
  | { readonly kind: 'fc'; readonly source: string; readonly weight: TorchTensor; readonly bias?: TorchTensor };

/** A convolution of our model as PyTorch would declare it. */
export interface ConvGeometry {
  readonly kernel: readonly [number, number];
  readonly stride: number;
  readonly padding: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly groups: number;
}

/** Reads kernel, stride, PyTorch padding and groups off our conv layer (and its pad / grouping layers). */
export function convGeometry(model: tfl.LayersModel, name: string): ConvGeometry {
  const layer = model.getLayer(name);
  const config = layer.getConfig() as { kernelSize: number[]; strides: number[]; padding: string; depthMultiplier?: number };
  const kernelShape = layer.getWeights()[0]!.shape as [number, number, number, number];
  const [kh, kw, inChannels, last] = kernelShape;
  const names = new Set(model.layers.map((l) => l.name));
  let padding = 0;
  if (names.has(`${name}_pad`)) padding = (model.getLayer(`${name}_pad`).getConfig() as { padding: number[][] }).padding[0]![0]!;
  else if (config.padding === 'same') padding = (kh - 1) / 2;
  const stride = config.strides[0]!;
  if (layer.getClassName() === 'Conv2D') return { kernel: [kh, kw], stride, padding, inChannels, outChannels: last, groups: 1 };
  const split = `${name}${GROUPED_SUFFIXES.split}`;
  const perGroup = names.has(split) ? (model.getLayer(split).getConfig() as { targetShape: number[] }).targetShape[1]! : 1;
  const groups = inChannels / perGroup;
  return { kernel: [kh, kw], stride, padding, inChannels, outChannels: groups * last, groups };
}

/** PyTorch's conv weight shape for a geometry. */
export function torchConvShape(g: ConvGeometry): number[] {
  return [g.outChannels, g.inChannels / g.groups, g.kernel[0], g.kernel[1]];
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function expectShape(t: TorchTensor, shape: readonly number[], what: string, module: TorchModule, source: string): void {
  if (!sameShape(t.shape, shape)) {
    throw new ArchitectureMismatchError(
      `${source}: ${what} of ${module.torch} has shape [${t.shape.join(', ')}], the architecture needs [${shape.join(', ')}] (our layer '${module.layer}'); the file holds another architecture or width — pass the right backbone`,
    );
  }
}

/** PyTorch conv weight → our kernel: Conv2D [kh, kw, in, out]; depthwise/grouped [kh, kw, in, out/groups]. */
export function convKernel(weight: TorchTensor, g: ConvGeometry, className: string): tf.Tensor {
  const [kh, kw] = g.kernel;
  const a = g.inChannels / g.groups;
  const m = g.outChannels / g.groups;
  const src = weight.data;
  if (className === 'Conv2D') {
    return tf.tidy(() => tf.transpose(tf.tensor4d(src, [g.outChannels, g.inChannels, kh, kw]), [2, 3, 1, 0]));
  }
  const out = new Float32Array(kh * kw * g.inChannels * m);
  for (let i = 0; i < g.inChannels; i += 1) {
    const k = Math.floor(i / a);
    const j = i % a;
    for (let mm = 0; mm < m; mm += 1) {
      const o = k * m + mm;
      for (let y = 0; y < kh; y += 1) {
        for (let x = 0; x < kw; x += 1) {
          out[((y * kw + x) * g.inChannels + i) * m + mm] = src[((o * a + j) * kh + y) * kw + x] as number;
        }
      }
    }
  }
  return tf.tensor4d(out, [kh, kw, g.inChannels, m]);
}

/**
 * PyTorch FC weight [out, in] with `in` in NCHW flatten order (c·h·w + y·w + x) → our Dense
 * kernel [in, out] with `in` in NHWC order ((y·w + x)·c + channel).
 */
export function denseKernel(weight: TorchTensor, channels: number): tf.Tensor {
  const [units, features] = weight.shape as [number, number];
  const positions = features / channels;
  return tf.tidy(() => {
    const w = tf.tensor3d(weight.data, [units, channels, positions]);
    return tf.reshape(tf.transpose(w, [2, 1, 0]), [features, units]);
  });
}

/**
 * Sets every weighted layer of `model` from PyTorch-layout weights, `weights[i]` for
 * `layout[i]`. Shapes are checked before anything is written, so a mismatch leaves the model
 * as it was.
 */
export function setTorchWeights(model: tfl.LayersModel, layout: readonly TorchModule[], weights: readonly ModuleWeights[]): void {
  const assignments: Array<{ layer: tfl.layers.Layer; values: tf.Tensor[] }> = [];
  try {
    layout.forEach((module, index) => {
      const w = weights[index]!;
      const layer = model.getLayer(module.layer);
      const current = layer.getWeights();
      if (w.kind !== module.kind) {
        throw new ArchitectureMismatchError(`${w.source}: found a ${w.kind} where the architecture has ${module.torch} (a ${module.kind}, our layer '${module.layer}')`);
      }
      switch (w.kind) {
        case 'conv': {
          const g = convGeometry(model, module.layer);
          expectShape(w.weight, torchConvShape(g), 'the weight', module, w.source);
          assignments.push({ layer, values: [convKernel(w.weight, g, layer.getClassName())] });
          break;
        }
        case 'bn': {
          const c = current[0]!.shape[0]!;
          const parts = [w.weight, w.bias, w.mean, w.variance];
          parts.forEach((t, i) => expectShape(t, [c], ['γ', 'β', 'the running mean', 'the running variance'][i]!, module, w.source));
          // By name: a frozen γ (iResNet's last BN) moves behind β in layer.weights.
          const byName: Record<string, TorchTensor> = { gamma: w.weight, beta: w.bias, moving_mean: w.mean, moving_variance: w.variance };
          const values = layer.weights.map((v) => {
            const t = byName[v.originalName.split('/').pop()!];
            if (t === undefined) throw new ArchitectureMismatchError(`our layer '${module.layer}' has an unexpected weight ${v.originalName}`);
            return tf.tensor1d(t.data);
          });
          assignments.push({ layer, values });
          break;
        }
        case 'prelu': {
          const shape = current[0]!.shape;
          const c = shape[shape.length - 1]!;
          const data = w.weight.data.length === 1 ? new Float32Array(c).fill(w.weight.data[0]!) : w.weight.data;
          expectShape({ shape: [data.length], data }, [c], 'the slope', module, w.source);
          assignments.push({ layer, values: [tf.tensor(data, shape)] });
          break;
        }
        case 'fc': {
          const [features, units] = current[0]!.shape as [number, number];
          expectShape(w.weight, [units, features], 'the weight', module, w.source);
          const channels = model.getLayer(module.flattenFrom!).getWeights()[0]!.shape[0]!;
          const values = [denseKernel(w.weight, channels)];
          if (current.length > 1) {
            if (w.bias !== undefined) expectShape(w.bias, [units], 'the bias', module, w.source);
            values.push(w.bias !== undefined ? tf.tensor1d(w.bias.data) : tf.zeros([units]));
          } else if (w.bias !== undefined && w.bias.data.some((v) => v !== 0)) {
            throw new ArchitectureMismatchError(`${w.source}: ${module.torch} has a bias; arcface_torch's layer there has none (our layer '${module.layer}')`);
          }
          assignments.push({ layer, values });
          break;
        }
      }
    });
    for (const { layer, values } of assignments) layer.setWeights(values);
  } finally {
    for (const { values } of assignments) tf.dispose(values);
  }
}
