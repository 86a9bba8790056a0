import { ARCFACE_TEMPLATE_112, InvalidArgumentError } from '@arcface/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../node/decode-image';
import { alignRgbImage } from './align';
import type { RgbImage } from './rgb-image';

/** A smooth image (bilinear resampling reproduces it well), 3 channels. */
function gradientImage(width: number, height: number, scale = 1): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = Math.round((x / scale) * 2) % 256;
      data[o + 1] = Math.round((y / scale) * 2) % 256;
      data[o + 2] = Math.round(((x + y) / scale) * 1) % 256;
    }
  }
  return { width, height, data };
}

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return worst;
}

describe('alignRgbImage', () => {
  it('leaves a face whose landmarks already sit on the template unchanged', () => {
    const image = gradientImage(112, 112);
    const crop = alignRgbImage(image, ARCFACE_TEMPLATE_112);
    expect(crop.width).toBe(112);
    expect(maxDifference(crop.data, image.data)).toBe(0);
  });

  it('undoes a scale and shift of the whole photo', () => {
    // The photo is the 112 image drawn 2× larger at offset (30, 20): landmarks move the same way.
    const small = gradientImage(112, 112);
    const photo = gradientImage(300, 280);
    for (let y = 0; y < 280; y++) {
      for (let x = 0; x < 300; x++) {
        const sx = Math.min(111, Math.max(0, (x - 30) / 2));
        const sy = Math.min(111, Math.max(0, (y - 20) / 2));
        const o = (y * 300 + x) * 3;
        const s = (Math.round(sy) * 112 + Math.round(sx)) * 3;
        photo.data.set(small.data.subarray(s, s + 3), o);
      }
    }
    const landmarks = ARCFACE_TEMPLATE_112.map(([x, y]) => [x * 2 + 30, y * 2 + 20] as [number, number]);
    const crop = alignRgbImage(photo, landmarks);
    // Nearest-neighbour upscaling then bilinear sampling: within a couple of grey levels.
    expect(maxDifference(crop.data, small.data)).toBeLessThanOrEqual(4);
  });

  it('refuses anything but five landmarks', () => {
    expect(() => alignRgbImage(gradientImage(8, 8), ARCFACE_TEMPLATE_112.slice(0, 4))).toThrow(InvalidArgumentError);
  });

  it('aligns while decoding when decodeImage gets landmarks', async () => {
    const image = gradientImage(112, 112);
    const png = await sharp(image.data, { raw: { width: 112, height: 112, channels: 3 } }).png().toBuffer();
    const crop = await decodeImage(png, { landmarks: ARCFACE_TEMPLATE_112 });
    expect([crop.width, crop.height]).toEqual([112, 112]);
    expect(maxDifference(crop.data, image.data)).toBe(0);
    await expect(decodeImage(png, { landmarks: ARCFACE_TEMPLATE_112, size: [112, 96] })).rejects.toThrow(InvalidArgumentError);
  });
});
