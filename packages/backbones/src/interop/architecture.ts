import type * as tfl from '@tensorflow/tfjs-layers';
import { ArchitectureMismatchError } from '../errors';
import { IRESNET_LAYERS, iresnet, type IResNetDepth } from '../iresnet';
import { mobileFaceNet } from '../mobilefacenet';
import type { InputPreprocessing } from './preprocessing';

/** An arcface_torch architecture with the sizes read from a file. */
export type Architecture =
  | {
      readonly family: 'iresnet';
      readonly depth: IResNetDepth;
      readonly width: number;
      readonly embeddingSize: number;
      readonly inputShape: readonly [number, number, number];
    }
  | {
      readonly family: 'mobilefacenet';
      readonly blocks: readonly [number, number, number, number];
      readonly scale: number;
      readonly width: number;
      readonly embeddingSize: number;
      readonly inputShape: readonly [number, number, number];
    };

/** Our backbone name of an architecture (`iresnet50`, `mobilefacenet`), as `createBackbone` knows it. */
export function architectureName(a: Architecture): string {
  return a.family === 'iresnet' ? `iresnet${a.depth}` : 'mobilefacenet';
}

/** The options that rebuild it with `createBackbone(architectureName(a), options)`. */
export function architectureOptions(a: Architecture): Record<string, unknown> {
  const common = { inputShape: [...a.inputShape], embeddingSize: a.embeddingSize, width: a.width };
  return a.family === 'iresnet' ? common : { ...common, blocks: [...a.blocks], scale: a.scale };
}

/** Builds our model of the architecture (weights still random), with the input preprocessing it needs. */
export function buildArchitecture(a: Architecture, preprocessing?: InputPreprocessing): tfl.LayersModel {
  const options = { inputShape: a.inputShape, embeddingSize: a.embeddingSize, width: a.width, ...(preprocessing ? { preprocessing } : {}) };
  return a.family === 'iresnet' ? iresnet(a.depth, options) : mobileFaceNet({ ...options, blocks: a.blocks, scale: a.scale });
}

/** Family and depth a user may name with `backbone`: `iresnet50`, `r50`, `mobilefacenet`, `mbf`, `mbf_large`. */
export interface BackboneHint {
  readonly family: 'iresnet' | 'mobilefacenet';
  readonly depth?: IResNetDepth;
  readonly blocks?: readonly [number, number, number, number];
  readonly scale?: number;
}

export function parseBackboneHint(name: string): BackboneHint {
  const n = name.toLowerCase().replace(/[-_]/g, '');
  const depth = /^(?:iresnet|r)(18|34|50|100|200)$/.exec(n)?.[1];
  if (depth !== undefined) return { family: 'iresnet', depth: Number(depth) as IResNetDepth };
  if (n === 'mobilefacenet' || n === 'mbf') return { family: 'mobilefacenet', blocks: [1, 4, 6, 2], scale: 2 };
  if (n === 'mbflarge' || n === 'mobilefacenetlarge') return { family: 'mobilefacenet', blocks: [2, 8, 12, 4], scale: 4 };
  throw new ArchitectureMismatchError(
    `backbone '${name}' is not an arcface_torch architecture this import knows; use iresnet18, iresnet34, iresnet50, iresnet100, iresnet200, mobilefacenet or mbf_large`,
  );
}

/** iResNet depth from the blocks per stage, or undefined when no depth has them. */
export function iresnetDepth(layers: readonly number[]): IResNetDepth | undefined {
  for (const [depth, counts] of Object.entries(IRESNET_LAYERS)) {
    if (counts.length === layers.length && counts.every((c, i) => c === layers[i])) return Number(depth) as IResNetDepth;
  }
  return undefined;
}

/** A torch module of an arcface_torch model, in `state_dict` (and forward) order, and our layer holding it. */
export interface TorchModule {
  /** `state_dict` prefix: `layer1.0.conv1`, `features.layers.3`. */
  readonly torch: string;
  readonly layer: string;
  readonly kind: 'conv' | 'bn' | 'prelu' | 'fc';
  /** For `fc`: our layer whose channels are flattened into the FC input (NCHW vs NHWC order). */
  readonly flattenFrom?: string;
}

/** Every weighted module of the architecture, in arcface_torch's order. */
export function torchLayout(a: Architecture): TorchModule[] {
  const out: TorchModule[] = [];
  const m = (torch: string, layer: string, kind: TorchModule['kind'], flattenFrom?: string) =>
    out.push({ torch, layer, kind, ...(flattenFrom ? { flattenFrom } : {}) });
  if (a.family === 'iresnet') {
    m('conv1', 'stem_conv', 'conv');
    m('bn1', 'stem_bn', 'bn');
    m('prelu', 'stem_prelu', 'prelu');
    IRESNET_LAYERS[a.depth].forEach((blocks, s) => {
      for (let b = 0; b < blocks; b += 1) {
        const t = `layer${s + 1}.${b}`;
        const ours = `stage${s + 1}_block${b + 1}`;
        m(`${t}.bn1`, `${ours}_bn1`, 'bn');
        m(`${t}.conv1`, `${ours}_conv1`, 'conv');
        m(`${t}.bn2`, `${ours}_bn2`, 'bn');
        m(`${t}.prelu`, `${ours}_prelu`, 'prelu');
        m(`${t}.conv2`, `${ours}_conv2`, 'conv');
        m(`${t}.bn3`, `${ours}_bn3`, 'bn');
        if (b === 0) {
          m(`${t}.downsample.0`, `${ours}_downsample_conv`, 'conv');
          m(`${t}.downsample.1`, `${ours}_downsample_bn`, 'bn');
        }
      }
    });
    m('bn2', 'output_bn', 'bn');
    m('fc', 'output_fc', 'fc', 'output_bn');
    m('features', 'output_features', 'bn');
    return out;
  }
  const block = (t: string, ours: string, act = true) => {
    m(`${t}.layers.0`, `${ours}_conv`, 'conv');
    m(`${t}.layers.1`, `${ours}_bn`, 'bn');
    if (act) m(`${t}.layers.2`, `${ours}_prelu`, 'prelu');
  };
  let counter = 0;
  const depthWise = (t: string) => {
    counter += 1;
    block(`${t}.layers.0`, `dw${counter}_expand`);
    block(`${t}.layers.1`, `dw${counter}_dw`);
    block(`${t}.layers.2`, `dw${counter}_project`, false);
  };
  const residual = (t: string, count: number) => {
    for (let i = 0; i < count; i += 1) depthWise(`${t}.layers.${i}`);
  };
  block('layers.0', 'stem');
  if (a.blocks[0] === 1) block('layers.1', 'stem_dw');
  else residual('layers.1', a.blocks[0]);
  depthWise('layers.2');
  residual('layers.3', a.blocks[1]);
  depthWise('layers.4');
  residual('layers.5', a.blocks[2]);
  depthWise('layers.6');
  residual('layers.7', a.blocks[3]);
  block('conv_sep', 'conv_sep');
  m('features.layers.0.layers.0', 'gdc_dw_conv', 'conv');
  m('features.layers.0.layers.1', 'gdc_dw_bn', 'bn');
  m('features.layers.2', 'gdc_fc', 'fc', 'gdc_dw_bn');
  m('features.layers.3', 'gdc_embedding_bn', 'bn');
  return out;
}
