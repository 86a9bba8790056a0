/**
 * Writes a contact sheet of synthetic faces (8 identities × 8 images, one identity per row)
 * to docs/images/synthetic-faces.png: `pnpm --filter @arcface/data contact-sheet`. A 256-colour
 * palette keeps the committed file small; the noise makes full-colour PNGs several MB.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createSyntheticFaces } from '../src/synthetic/synthetic-faces';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? resolve(here, '../../../docs/images/synthetic-faces.png'));
const rows = 8;
const cols = 8;
const size = 112;
const gap = 4;
const faces = createSyntheticFaces({ identities: rows, imagesPerIdentity: cols, size, seed: 2024, difficulty: 0.5 });
const width = cols * size + (cols + 1) * gap;
const height = rows * size + (rows + 1) * gap;
const sheet = new Uint8Array(width * height * 3).fill(255);
for (let r = 0; r < rows; r++) {
  for (let c = 0; c < cols; c++) {
    const img = faces.image(r * cols + c);
    const x0 = gap + c * (size + gap);
    const y0 = gap + r * (size + gap);
    for (let y = 0; y < size; y++) sheet.set(img.subarray(y * size * 3, (y + 1) * size * 3), ((y0 + y) * width + x0) * 3);
  }
}
mkdirSync(dirname(out), { recursive: true });
await sharp(sheet, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9, palette: true, colours: 256 }).toFile(out);
console.log(`wrote ${out} (${width}x${height})`);
