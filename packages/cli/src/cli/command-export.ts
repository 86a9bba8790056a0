import { exportOnnxFile } from '@arcface/backbones/node';
import { inputPreprocessing } from '@arcface/backbones';

import { OptionValueError } from './cli-errors';
import { describePreprocessing } from './command-import';
import { loadModelFolder } from './model-folder';

export interface ExportCommandOptions {
  readonly model: string;
  readonly out: string;
}

/** `arcface export --model <dir> --out <file.onnx>`: the model folder's backbone as ONNX (opset 13). */
export async function exportCommand(options: ExportCommandOptions, write: (text: string) => void): Promise<void> {
  if (!options.out.endsWith('.onnx')) throw new OptionValueError(`--out must end in .onnx, got '${options.out}'`);
  const { model, metadata } = await loadModelFolder(options.model);
  try {
    await exportOnnxFile(model, options.out);
    const [h, w] = metadata.inputShape;
    const p = inputPreprocessing(model);
    const input = p.mean === 127.5 && p.std === 127.5 ? `(x − 127.5) / 127.5 of RGB pixels` : 'raw RGB pixels 0…255 (normalised by Sub/Mul inside the graph)';
    write(`wrote ${options.out}: input 'input.1' [N, 3, ${h}, ${w}] NCHW, ${input}; output 'embedding' [N, ${metadata.embeddingSize}]\n`);
    write(`preprocessing: ${describePreprocessing(p)}\n`);
  } finally {
    model.dispose();
  }
}
