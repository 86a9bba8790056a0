/**
 * Writes synthetic faces of `@arcface/data` as a face folder (`<out>/<identity>/<image>.png`),
 * the layout `arcface train`, `eval --data` and `gallery bench --data` read. Different seeds give
 * different people, so a training folder, a held-out folder and `gallery bench`'s synthetic
 * distractors (seed 1 by default) share nobody:
 *
 *   node --conditions=@arcface/source --import tsx packages/cli/src/experiments/synthetic-folder.ts \
 *     --identities 200 --images 8 --size 32 --seed 2001 --out synth-train
 *
 * Options: --difficulty 0…1 [0.5], --conditions classic|wild [classic], --backdrop varied|plain [varied].
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { createSyntheticFaces } from '@arcface/data';
import sharp from 'sharp';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set((process.argv[i] as string).replace(/^--/, ''), process.argv[i + 1] ?? '');
const number = (name: string, fallback: number): number => {
  const value = Number(args.get(name) ?? fallback);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got '${args.get(name)}'`);
  return value;
};
const out = args.get('out');
if (out === undefined) throw new Error('usage: synthetic-folder.ts --identities N --images K --size S --seed X --out <dir>');
const identities = number('identities', 100);
const images = number('images', 8);
const size = number('size', 32);
const seed = number('seed', 2001);
const conditions = (args.get('conditions') ?? 'classic') as 'classic' | 'wild';
const backdrop = (args.get('backdrop') ?? 'varied') as 'varied' | 'plain';

const faces = createSyntheticFaces({ identities, imagesPerIdentity: images, size, seed, difficulty: number('difficulty', 0.5), conditions, backdrop });
const width = String(identities - 1).length;
for (let i = 0; i < faces.length; i += 1) {
  const person = join(out, `person-${String(faces.labels[i]).padStart(width, '0')}`);
  await mkdir(person, { recursive: true });
  await sharp(Buffer.from(faces.image(i)), { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(join(person, `${String(i % images).padStart(3, '0')}.png`));
}
console.log(`wrote ${faces.length} synthetic faces (${identities} people × ${images}, ${size}×${size}, seed ${seed}, ${conditions}, ${backdrop}) to ${out}`);
