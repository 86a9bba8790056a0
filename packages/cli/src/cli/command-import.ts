import type { JsonValue } from '@arcface/margins';
import { importModelFile } from '@arcface/backbones/node';

import { saveModelFolder } from './model-folder';

export interface ImportCommandOptions {
  readonly out: string;
  readonly backbone?: string;
}

/** How a normalisation reads to a user: "(x − 127.5) / 127.5 of RGB 0…255". */
export function describePreprocessing(p: { mean: number; std: number }): string {
  const raw = p.mean !== 127.5 || p.std !== 127.5 ? ' (the file normalises inside its graph; kept inside the model)' : '';
  return `RGB, (x − ${p.mean}) / ${p.std} of pixels 0…255${raw}`;
}

/**
 * `arcface import <file.onnx|file.pth> --out <dir>`: an insightface model as a model folder that
 * `arcface embed`, `eval`, `train --init` and `export` take. Prints what it recognised.
 */
export async function importCommand(file: string, options: ImportCommandOptions, write: (text: string) => void): Promise<void> {
  const imported = await importModelFile(file, options.backbone === undefined ? {} : { backbone: options.backbone });
  try {
    const { architecture } = imported;
    await saveModelFolder(options.out, imported.model, {
      format: 'arcface-model',
      version: 1,
      backbone: { name: imported.backbone, options: imported.backboneOptions as { [key: string]: JsonValue } },
      inputShape: imported.inputShape,
      embeddingSize: imported.embeddingSize,
      margin: { name: 'none', options: {} },
      classes: 0,
      steps: 0,
      data: file,
      source: {
        file,
        format: imported.format,
        parameters: imported.parameters,
        preprocessing: { ...imported.preprocessing },
        ...(imported.opset !== undefined ? { opset: imported.opset } : {}),
      },
    });
    const details =
      architecture.family === 'iresnet'
        ? `width ${architecture.width}`
        : `blocks ${architecture.blocks.join(',')}, scale ${architecture.scale}, width ${architecture.width}`;
    const [h, w, c] = imported.inputShape;
    write(
      [
        `imported ${file} (${imported.format === 'onnx' ? `ONNX, opset ${imported.opset}` : 'PyTorch state_dict'})`,
        `architecture:   ${imported.backbone} (${details})`,
        `parameters:     ${imported.parameters.toLocaleString('en')}`,
        `preprocessing:  ${describePreprocessing(imported.preprocessing)}`,
        `input size:     ${h}×${w}×${c}`,
        `embedding size: ${imported.embeddingSize}`,
        `model folder:   ${options.out}`,
        '',
      ].join('\n'),
    );
  } finally {
    imported.model.dispose();
  }
}
