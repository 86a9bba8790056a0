import sharp from 'sharp';
import { decodeImage } from '../src/node/decode-image';
import { createSyntheticFaces } from '../src/synthetic/synthetic-faces';

/** Decodes 250×250 JPEGs (LFW's size) and resizes them to 112×112, `concurrency` at a time. */
export async function benchDecode(count = 2000, concurrency = 8): Promise<Record<string, number>> {
  const faces = createSyntheticFaces({ identities: 10, imagesPerIdentity: 2, size: 250, seed: 2 });
  const jpegs = await Promise.all(
    Array.from({ length: faces.length }, (_, i) => sharp(faces.image(i), { raw: { width: 250, height: 250, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()),
  );
  await decodeImage(jpegs[0] as Uint8Array, { size: 112 });
  const start = performance.now();
  for (let b = 0; b < count; b += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, count - b) }, (_, k) => decodeImage(jpegs[(b + k) % jpegs.length] as Uint8Array, { size: 112 })));
  }
  const seconds = (performance.now() - start) / 1000;
  return { images: count, perSecond: count / seconds, sharpThreads: sharp.concurrency() };
}
