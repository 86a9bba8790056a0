import sharp from 'sharp';
import { createSyntheticFaces } from '@arcface/data';
const n = 8, size = 48;
for (const conditions of ['classic', 'wild'] as const) {
  const f = createSyntheticFaces({ identities: n, imagesPerIdentity: n, size, seed: 1, backdrop: 'plain', conditions });
  const out = Buffer.alloc(n * size * n * size * 3);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const img = f.image(i * n + k);
    for (let y = 0; y < size; y++) img.subarray(y * size * 3, (y + 1) * size * 3).forEach((v, x) => { out[((i * size + y) * n * size) * 3 + k * size * 3 + x] = v; });
  }
  await sharp(out, { raw: { width: n * size, height: n * size, channels: 3 } }).png().toFile(`/tmp/faces-${conditions}.png`);
}
