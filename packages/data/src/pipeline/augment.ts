import { InvalidArgumentError } from '@arcface/core';
import { centreBox, type CropBox, cropResize } from '../image/resize';
import { checkRgbImage, type RgbImage } from '../image/rgb-image';
import type { Rng } from '../random/rng';

/** Training-time augmentation. Every field is optional; an empty object only resizes. */
export interface AugmentOptions {
  /** Probability of a horizontal flip [0.5 when the object is given, as insightface's RandomHorizontalFlip]. */
  flip?: number;
  /**
   * Random resized crop: a box covering a share in `scale` of the image's area with aspect ratio
   * in `ratio`, resized to the input size (torchvision's RandomResizedCrop). Off when absent.
   */
  crop?: { scale: readonly [number, number]; ratio?: readonly [number, number] };
  /** Brightness: pixels times a factor drawn from [1 − b, 1 + b]. */
  brightness?: number;
  /** Contrast: pixels pulled towards or pushed from their mean grey by a factor in [1 − c, 1 + c]. */
  contrast?: number;
}

/**
 * Resizes `image` to `width × height`, with random crop, flip and colour jitter drawn from
 * `rng`. Without options it is a plain centre-cover resize.
 *
 * @example
 * const out = augmentImage(img, 112, 112, { flip: 0.5, brightness: 0.2 }, createRng(1));
 */
export function augmentImage(image: RgbImage, width: number, height: number, options: AugmentOptions | undefined, rng: Rng): RgbImage {
  checkRgbImage(image);
  let box: CropBox = centreBox(image.width, image.height, width / height);
  let flip = false;
  if (options) {
    if (options.crop) box = randomCropBox(image, options.crop, rng);
    const p = options.flip ?? 0.5;
    if (!(p >= 0 && p <= 1)) throw new InvalidArgumentError(`flip probability must be in [0, 1], got ${p}`);
    flip = rng.next() < p;
  }
  const out = box.x === 0 && box.y === 0 && box.width === width && box.height === height && !flip ? image : cropResize(image, box, width, height, flip);
  if (options && (options.brightness || options.contrast)) return jitterColour(out, options.brightness ?? 0, options.contrast ?? 0, rng);
  return out;
}

function randomCropBox(image: RgbImage, crop: NonNullable<AugmentOptions['crop']>, rng: Rng): CropBox {
  const [smin, smax] = crop.scale;
  const [rmin, rmax] = crop.ratio ?? [3 / 4, 4 / 3];
  if (!(smin > 0 && smin <= smax && smax <= 1) || !(rmin > 0 && rmin <= rmax)) {
    throw new InvalidArgumentError(`crop scale must be within (0, 1] and ratio positive, got ${JSON.stringify(crop)}`);
  }
  const area = image.width * image.height;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(smin, smax);
    // torchvision draws the ratio log-uniformly; uniform avoids Math.log, whose last bit varies
    // between engines, and differs little for ratios near 1.
    const aspect = rng.uniform(rmin, rmax);
    const w = Math.sqrt(target * aspect);
    const h = Math.sqrt(target / aspect);
    if (w <= image.width && h <= image.height) {
      return { x: rng.uniform(0, image.width - w), y: rng.uniform(0, image.height - h), width: w, height: h };
    }
  }
  return { x: 0, y: 0, width: image.width, height: image.height };
}

function jitterColour(image: RgbImage, brightness: number, contrast: number, rng: Rng): RgbImage {
  const bf = 1 + rng.uniform(-brightness, brightness);
  const cf = 1 + rng.uniform(-contrast, contrast);
  const data = image.data;
  let sum = 0;
  for (let i = 0; i < data.length; i += 3) sum += 0.299 * (data[i] as number) + 0.587 * (data[i + 1] as number) + 0.114 * (data[i + 2] as number);
  const mean = (sum / (data.length / 3)) * bf;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = ((data[i] as number) * bf - mean) * cf + mean;
    out[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  return { width: image.width, height: image.height, data: out };
}
