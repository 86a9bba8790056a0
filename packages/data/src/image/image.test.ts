import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { InvalidArgumentError } from '@arcface/core';
import { ImageDecodeError } from '../errors';
import { decodePgm } from './pgm';
import { centreBox, cropResize, flipHorizontal, resizeImage } from './resize';
import { greyToRgb, type RgbImage } from './rgb-image';
import { sniffImageFormat } from './sniff-format';
import { imagesToTensor, normalizeImageTensor } from './to-tensor';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('PGM', () => {
  it('decodes P5 with comments, and P2, to RGB', () => {
    const p5 = Uint8Array.from([...enc('P5\n# made by hand\n3 2\n255\n'), 0, 50, 100, 150, 200, 255]);
    const img = decodePgm(p5);
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.data.subarray(0, 6))).toEqual([0, 0, 0, 50, 50, 50]);
    const p2 = decodePgm(enc('P2\n2 2\n15\n0 15\n5 10\n'));
    expect(Array.from(p2.data.filter((_, i) => i % 3 === 0))).toEqual([0, 255, 85, 170]);
    const wide = decodePgm(Uint8Array.from([...enc('P5 1 1 65535 '), 0xff, 0xff]));
    expect(wide.data[0]).toBe(255);
  });

  it('rejects truncated rasters, bad headers and samples over maxval', () => {
    expect(() => decodePgm(Uint8Array.from([...enc('P5\n3 2\n255\n'), 1, 2]))).toThrow(/truncated raster, 2 of 6/);
    expect(() => decodePgm(enc('P6\n1 1\n255\n'))).toThrow(ImageDecodeError);
    expect(() => decodePgm(enc('P5\nx 1\n255\n'))).toThrow(/width/);
    expect(() => decodePgm(enc('P2\n1 1\n10\n11\n'))).toThrow(/exceeds maxval/);
    expect(() => decodePgm(new Uint8Array(0))).toThrow(ImageDecodeError);
  });
});

describe('pixel helpers', () => {
  it('sniffs formats from signatures', () => {
    expect(sniffImageFormat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(enc('GIF89a'))).toBe('gif');
    expect(sniffImageFormat(enc('RIFF....WEBPVP8 '))).toBe('webp');
    expect(sniffImageFormat(Uint8Array.from([0x89, 0x50, 0x4e, 0x47]))).toBe('png');
    expect(sniffImageFormat(enc('P5\n'))).toBe('pgm');
    expect(sniffImageFormat(enc('hello'))).toBeUndefined();
  });

  it('grey to RGB repeats the channel; grey+alpha drops alpha', () => {
    expect(Array.from(greyToRgb(Uint8Array.from([7, 9]), 2, 1).data)).toEqual([7, 7, 7, 9, 9, 9]);
    expect(Array.from(greyToRgb(Uint8Array.from([7, 1, 9, 1]), 2, 1, 2).data)).toEqual([7, 7, 7, 9, 9, 9]);
    expect(() => greyToRgb(new Uint8Array(3), 2, 1)).toThrow(InvalidArgumentError);
  });

  it('resizes bilinearly: constant stays constant, 2x downscale averages, flips twice is identity', () => {
    const flat: RgbImage = { width: 10, height: 7, data: new Uint8Array(210).fill(77) };
    expect(resizeImage(flat, 4, 4).data.every((v) => v === 77)).toBe(true);
    const checker: RgbImage = { width: 2, height: 2, data: Uint8Array.from([0, 0, 0, 100, 100, 100, 100, 100, 100, 200, 200, 200]) };
    expect(Array.from(cropResize(checker, { x: 0, y: 0, width: 2, height: 2 }, 1, 1).data)).toEqual([100, 100, 100]);
    const img: RgbImage = { width: 5, height: 3, data: Uint8Array.from({ length: 45 }, (_, i) => i) };
    expect(flipHorizontal(flipHorizontal(img)).data).toEqual(img.data);
    expect(cropResize(img, { x: 0, y: 0, width: 5, height: 3 }, 5, 3, true).data).toEqual(flipHorizontal(img).data);
    expect(centreBox(250, 250, 1)).toEqual({ x: 0, y: 0, width: 250, height: 250 });
    expect(centreBox(92, 112, 1)).toEqual({ x: 0, y: 10, width: 92, height: 92 });
  });
});

describeEachBackend('image tensors', () => {
  it('imagesToTensor normalises as insightface, (x/255 − 0.5)/0.5, without leaking', async () => {
    const a: RgbImage = { width: 2, height: 1, data: Uint8Array.from([0, 255, 128, 1, 2, 3]) };
    const b: RgbImage = { width: 2, height: 1, data: new Uint8Array(6).fill(64) };
    const x = await expectNoLeak(() => imagesToTensor([a, b]));
    expect(x.shape).toEqual([2, 1, 2, 3]);
    const values = await x.data();
    [...a.data, ...b.data].forEach((v, i) => expect(values[i]).toBeCloseTo((v / 255 - 0.5) / 0.5, 6));
    x.dispose();
    expect(() => imagesToTensor([a, { width: 1, height: 1, data: new Uint8Array(3) }])).toThrow(/resize them first/);
  });

  it('normalizeImageTensor matches imagesToTensor', async () => {
    const data = Uint8Array.from({ length: 12 }, (_, i) => i * 21);
    const pixels = tf.tensor4d(Int32Array.from(data), [1, 2, 2, 3], 'int32');
    const y = await expectNoLeak(() => normalizeImageTensor(pixels));
    const x = imagesToTensor([{ width: 2, height: 2, data }]);
    const [yv, xv] = [await y.data(), await x.data()];
    yv.forEach((v, i) => expect(v).toBeCloseTo(xv[i] as number, 6));
    tf.dispose([pixels, x, y]);
  });
});
