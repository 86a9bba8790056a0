import { ArchitectureMismatchError } from '../errors';
import { IRESNET_LAYERS } from '../iresnet';
import { iresnetDepth, parseBackboneHint, torchLayout, type Architecture, type BackboneHint, type TorchModule } from './architecture';
import type { ModuleWeights, TorchTensor } from './torch-weights';

/** Drops DDP's `module.` (and `backbone.`) prefixes so names read as arcface_torch's. */
export function stripPrefixes(state: ReadonlyMap<string, TorchTensor>): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  for (const [key, value] of state) {
    let k = key;
    for (;;) {
      const stripped = k.replace(/^(module|backbone)\./, '');
      if (stripped === k) break;
      k = stripped;
    }
    out.set(k, value);
  }
  return out;
}

const maxIndex = (state: ReadonlyMap<string, TorchTensor>, pattern: RegExp): number => {
  let max = -1;
  for (const key of state.keys()) {
    const m = pattern.exec(key);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
};

/**
 * The arcface_torch architecture a state_dict holds, read off its names and shapes, or the one
 * `backbone` names (then checked against the names by {@link stateDictWeights}).
 */
export function stateDictArchitecture(state: ReadonlyMap<string, TorchTensor>, file: string, backbone?: string): Architecture {
  const hint: BackboneHint | undefined = backbone === undefined ? undefined : parseBackboneHint(backbone);
  const shape = (key: string): readonly number[] => {
    const t = state.get(key);
    if (t === undefined) {
      throw new ArchitectureMismatchError(
        `${file}: no '${key}' in the state_dict${hint ? ` of a ${backbone}` : ''}; the file is not an arcface_torch iResNet or MobileFaceNet${hint ? ' of that kind' : ''} (keys start ${[...state.keys()].slice(0, 3).join(', ')})`,
      );
    }
    return t.shape;
  };
  const looksIresnet = state.has('layer1.0.bn1.weight');
  const family = hint?.family ?? (looksIresnet ? 'iresnet' : state.has('conv_sep.layers.0.weight') ? 'mobilefacenet' : undefined);
  if (family === undefined) {
    throw new ArchitectureMismatchError(
      `${file}: the state_dict is neither an arcface_torch iResNet (layer1.0.bn1.weight) nor a MobileFaceNet (conv_sep.layers.0.weight); keys start ${[...state.keys()].slice(0, 3).join(', ')}`,
    );
  }
  if (family === 'iresnet') {
    const stem = shape('conv1.weight')[0]!;
    const width = stem / 64;
    const layers = [1, 2, 3, 4].map((s) => maxIndex(state, new RegExp(`^layer${s}\\.(\\d+)\\.`)) + 1);
    const depth = hint?.depth ?? iresnetDepth(layers);
    if (depth === undefined) throw new ArchitectureMismatchError(`${file}: an iResNet with [${layers.join(', ')}] blocks per stage is none of 18/34/50/100/200`);
    const embeddingSize = shape('features.weight')[0]!;
    const channels = shape('bn2.weight')[0]!;
    const positions = shape('fc.weight')[1]! / channels;
    const side = Math.round(Math.sqrt(positions)) * 16;
    const expected = IRESNET_LAYERS[depth];
    if (hint?.depth !== undefined && expected.some((c, i) => c !== layers[i])) {
      throw new ArchitectureMismatchError(
        `${file}: --backbone ${backbone} has [${expected.join(', ')}] blocks per stage, the state_dict [${layers.join(', ')}] (an iresnet${iresnetDepth(layers) ?? '?'}); pass the matching backbone or none`,
      );
    }
    return { family, depth, width, embeddingSize, inputShape: [side, side, 3] };
  }
  const stem = shape('layers.0.layers.0.weight')[0]!;
  const groupsFirst = shape('layers.2.layers.0.layers.0.weight')[0]!;
  const width = groupsFirst / 128;
  const scale = Math.round(stem / 64 / width);
  const count = (i: number) => maxIndex(state, new RegExp(`^layers\\.${i}\\.layers\\.(\\d+)\\.layers\\.0\\.layers\\.0\\.weight$`)) + 1;
  const first = state.has('layers.1.layers.0.weight') ? 1 : count(1);
  const blocks = [first, count(3), count(5), count(7)] as [number, number, number, number];
  if (hint?.blocks !== undefined && hint.blocks.some((b, i) => b !== blocks[i])) {
    throw new ArchitectureMismatchError(`${file}: --backbone ${backbone} has blocks [${hint.blocks.join(', ')}], the state_dict [${blocks.join(', ')}]`);
  }
  const kernel = shape('features.layers.0.layers.0.weight');
  const embeddingSize = shape('features.layers.3.weight')[0]!;
  return { family, blocks, scale, width, embeddingSize, inputShape: [kernel[2]! * 16, kernel[3]! * 16, 3] };
}

/**
 * The state_dict's tensors for every module of the architecture, in layout order. Every
 * module's tensors must be there; a tensor no module uses is an error too (another
 * architecture, or a head saved with the backbone).
 */
export function stateDictWeights(state: ReadonlyMap<string, TorchTensor>, arch: Architecture, file: string): { layout: TorchModule[]; weights: ModuleWeights[] } {
  const layout = torchLayout(arch);
  const used = new Set<string>();
  const get = (module: TorchModule, suffix: string): TorchTensor => {
    const key = `${module.torch}.${suffix}`;
    const t = state.get(key);
    if (t === undefined) throw new ArchitectureMismatchError(`${file}: '${key}' is missing; the file does not hold this architecture (${arch.family}${arch.family === 'iresnet' ? arch.depth : ''}) — pass the right --backbone`);
    used.add(key);
    return t;
  };
  const weights = layout.map((module): ModuleWeights => {
    const source = `${file} '${module.torch}'`;
    switch (module.kind) {
      case 'conv':
        return { kind: 'conv', source, weight: get(module, 'weight') };
      case 'bn': {
        const w = { kind: 'bn' as const, source, weight: get(module, 'weight'), bias: get(module, 'bias'), mean: get(module, 'running_mean'), variance: get(module, 'running_var') };
        if (state.has(`${module.torch}.num_batches_tracked`)) used.add(`${module.torch}.num_batches_tracked`);
        return w;
      }
      case 'prelu':
        return { kind: 'prelu', source, weight: get(module, 'weight') };
      case 'fc': {
        const bias = state.get(`${module.torch}.bias`);
        if (bias !== undefined) used.add(`${module.torch}.bias`);
        return { kind: 'fc', source, weight: get(module, 'weight'), ...(bias ? { bias } : {}) };
      }
      default:
        throw new ArchitectureMismatchError(`${file}: a module of unknown kind in the ${arch.family} layout`);
    }
  });
  const unused = [...state.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) {
    throw new ArchitectureMismatchError(
      `${file}: ${unused.length} tensors belong to no module of ${arch.family}${arch.family === 'iresnet' ? arch.depth : ''} (${unused.slice(0, 3).join(', ')}${unused.length > 3 ? ', …' : ''}); the file holds another architecture — pass the right --backbone`,
    );
  }
  return { layout, weights };
}
