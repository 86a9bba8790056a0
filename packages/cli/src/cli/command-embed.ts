import { writeFile } from 'node:fs/promises';

import { embedImages } from '../demo/embed-images';
import { normalizeRows } from '../demo/statistics';
import { OptionValueError } from './cli-errors';
import { loadModelFolder } from './model-folder';
import { encodeNpy } from './npy';
import { readImageFiles } from './read-images';

export interface EmbedCommandOptions {
  readonly model: string;
  readonly out?: string;
  readonly flip?: boolean;
}

/**
 * `arcface embed`: unit-length embeddings of image files, as JSON on stdout
 * (`[{ file, embedding }]`) or, with `--out x.npy`, a float32 `[N, D]` NumPy file.
 */
export async function embedCommand(files: readonly string[], options: EmbedCommandOptions, write: (text: string) => void): Promise<void> {
  if (files.length === 0) throw new OptionValueError('no images given; pass one or more image files: arcface embed --model <dir> a.jpg b.png');
  if (options.out !== undefined && !options.out.endsWith('.npy') && !options.out.endsWith('.json')) {
    throw new OptionValueError(`--out must end in .npy or .json, got '${options.out}'`);
  }
  const { model, metadata } = await loadModelFolder(options.model);
  try {
    const x = await readImageFiles(files, metadata.inputShape);
    let embedded: { data: Float32Array; size: number };
    try {
      embedded = await embedImages(model, x, { flipSum: options.flip === true });
    } finally {
      x.dispose();
    }
    const unit = Float32Array.from(normalizeRows(embedded.data, embedded.size));
    if (options.out?.endsWith('.npy') === true) {
      await writeFile(options.out, encodeNpy(unit, files.length, embedded.size));
      write(`wrote ${files.length}×${embedded.size} float32 embeddings to ${options.out}\n`);
      return;
    }
    const json = `${JSON.stringify(
      files.map((file, i) => ({ file, embedding: Array.from(unit.subarray(i * embedded.size, (i + 1) * embedded.size)) })),
    )}\n`;
    if (options.out !== undefined) {
      await writeFile(options.out, json);
      write(`wrote ${files.length} embeddings to ${options.out}\n`);
    } else {
      write(json);
    }
  } finally {
    model.dispose();
  }
}
