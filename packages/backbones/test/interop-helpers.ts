import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { cosine } from '@arcface/testing';

export const SMALL_FIXTURES = join(__dirname, 'fixtures', 'interop');

/** The fixed images (RGB bytes, N × 112 × 112 × 3) the reference embeddings were made from. */
export function readImages(dir: string): Uint8Array {
  return new Uint8Array(readFileSync(join(dir, 'images.u8')));
}

export function readEmbeddings(dir: string, name: string, dims: number): Float32Array[] {
  const raw = readFileSync(join(dir, `${name}.emb.f32`));
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return Array.from({ length: all.length / dims }, (_, i) => all.subarray(i * dims, (i + 1) * dims));
}

/** arcface_torch's input: (x − 127.5) / 127.5, NHWC, as our pipelines produce it. */
export function normalisedBatch(images: Uint8Array, side = 112): tf.Tensor4D {
  const n = images.length / (side * side * 3);
  return tf.tensor4d(Float32Array.from(images, (v) => (v - 127.5) / 127.5), [n, side, side, 3]);
}

/** Raw 0…255 pixels, NCHW, for onnxruntime. */
export function nchw(images: Uint8Array, normalise: boolean, side = 112): Float32Array {
  const n = images.length / (side * side * 3);
  const out = new Float32Array(images.length);
  for (let i = 0; i < n; i += 1) {
    for (let c = 0; c < 3; c += 1) {
      for (let p = 0; p < side * side; p += 1) {
        const v = images[(i * side * side + p) * 3 + c] as number;
        out[(i * 3 + c) * side * side + p] = normalise ? (v - 127.5) / 127.5 : v;
      }
    }
  }
  return out;
}

export function embed(model: tfl.LayersModel, images: Uint8Array): Float32Array[] {
  const x = normalisedBatch(images);
  const y = model.predict(x) as tf.Tensor2D;
  const [n, d] = y.shape;
  const values = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  return Array.from({ length: n }, (_, i) => values.slice(i * d, (i + 1) * d));
}

/** Cosine per pair of rows. */
export function cosines(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number[] {
  if (a.length !== b.length) throw new Error(`${a.length} embeddings against ${b.length}`);
  return a.map((v, i) => cosine(v, b[i]!));
}

export function hasFile(dir: string, name: string): boolean {
  return existsSync(join(dir, name));
}
