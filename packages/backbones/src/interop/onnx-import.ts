import type * as tfl from '@tensorflow/tfjs-layers';
import { ArchitectureMismatchError, ModelFormatError, UnsupportedModelError } from '../errors';
import { IRESNET_LAYERS } from '../iresnet';
import { parseBackboneHint, torchLayout, type Architecture, type TorchModule } from './architecture';
import type { OnnxConstant, OnnxModel, OnnxNode } from './onnx-model';
import { ARCFACE_PREPROCESSING, type InputPreprocessing } from './preprocessing';
import { convGeometry, torchConvShape, type ModuleWeights, type TorchTensor } from './torch-weights';

/** One weighted op of the graph, in graph order, with PyTorch-layout weights. */
type OnnxModule =
  | { kind: 'conv'; node: OnnxNode; weight: TorchTensor; bias?: TorchTensor; stride: number; pads: readonly number[]; groups: number }
  | { kind: 'bn'; node: OnnxNode; weight: TorchTensor; bias: TorchTensor; mean: TorchTensor; variance: TorchTensor }
  | { kind: 'prelu'; node: OnnxNode; weight: TorchTensor }
  | { kind: 'fc'; node: OnnxNode; weight: TorchTensor; bias?: TorchTensor };

/** What the graph says, before it is laid onto an architecture. */
export interface OnnxReading {
  readonly modules: readonly OnnxModule[];
  readonly preprocessing: InputPreprocessing;
  readonly residualAdds: number;
  readonly inputSide?: number;
}

/** Ops that only compute the target shape of a `Reshape` (`x.view(x.size(0), -1)` exports them). */
const SHAPE_OPS = new Set(['Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'Slice', 'ConstantOfShape']);
const PASS_THROUGH = new Set(['Identity', 'Dropout']);
const OUR_EPSILON = 1e-5;

const tensor = (c: OnnxConstant): TorchTensor => ({ shape: c.dims, data: c.floats! });

/**
 * Walks an ONNX graph of an insightface model in node order (the order PyTorch's exporter
 * traced the forward pass, which is arcface_torch's module order) and collects its weighted ops
 * with their weights; the input `Sub`/`Mul`/`Div`/`Add` by constants before the first
 * convolution become the preprocessing. Any op outside what iResNet and MobileFaceNet export to
 * throws {@link UnsupportedModelError} naming the node.
 */
export function readOnnxGraph(model: OnnxModel, file: string): OnnxReading {
  if (model.inputs.length !== 1) throw new UnsupportedModelError(model.inputs.map((i) => i.name).join(', ') || '(none)', 'graph input', 'the graph must have exactly one image input');
  if (model.outputs.length !== 1) throw new UnsupportedModelError(model.outputs.map((o) => o.name).join(', '), 'graph output', 'the graph must have exactly one output, the embedding');
  const input = model.inputs[0]!;
  const constants = new Map(model.constants);
  const alias = new Map<string, string>();
  const shapeValued = new Set<string>();
  const resolve = (name: string) => alias.get(name) ?? name;
  const modules: OnnxModule[] = [];
  let scale = 1;
  let offset = 0;
  let normalised = input.name;
  let seenWeighted = false;
  let flattened = false;
  let residualAdds = 0;
  const produced = new Set<string>([input.name]);

  const constantOf = (node: OnnxNode, name: string, what: string): OnnxConstant => {
    const c = constants.get(resolve(name));
    if (c === undefined || c.floats === undefined) throw new UnsupportedModelError(node.name, node.op, `${what} '${name}' is not a float initializer`);
    return c;
  };
  const attr = (node: OnnxNode, name: string) => node.attributes.get(name);
  const dataInput = (node: OnnxNode, index = 0): string => {
    const name = resolve(node.inputs[index] ?? '');
    if (!produced.has(name)) throw new UnsupportedModelError(node.name, node.op, `input '${name}' is not computed from the image; the graph is not a single-path network`);
    return name;
  };
  const scalarOf = (node: OnnxNode, c: OnnxConstant): number => {
    const values = c.floats!;
    if (values.length === 0 || values.some((v) => v !== values[0])) {
      throw new UnsupportedModelError(node.name, node.op, 'per-channel input normalisation is not supported (only one mean and one scale for all channels)');
    }
    return values[0]!;
  };

  for (const node of forwardOrder(model)) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') throw new UnsupportedModelError(node.name, node.op, `operator domain '${node.domain}' is not supported`);
    const out = node.outputs[0] ?? '';
    if (node.op === 'Constant') {
      const t = attr(node, 'value')?.t;
      if (t === undefined) throw new UnsupportedModelError(node.name, node.op, 'only tensor-valued Constant nodes are supported');
      constants.set(out, { ...t, name: out });
      continue;
    }
    const folded = foldConstant(node, constants, resolve);
    if (folded !== undefined) {
      constants.set(out, folded);
      continue;
    }
    if (SHAPE_OPS.has(node.op)) {
      // Fine as long as its output only ever feeds a Reshape's shape (checked where used).
      for (const o of node.outputs) shapeValued.add(o);
      continue;
    }
    if (PASS_THROUGH.has(node.op)) {
      alias.set(out, dataInput(node));
      produced.add(out);
      continue;
    }
    const mark = () => node.outputs.forEach((o) => produced.add(o));
    switch (node.op) {
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'Add': {
        const [a, b] = node.inputs.map(resolve) as [string, string];
        const constantSide = constants.has(b) ? b : constants.has(a) ? a : undefined;
        if (node.op === 'Add' && constantSide === undefined) {
          dataInput(node, 0);
          dataInput(node, 1);
          residualAdds += 1;
          mark();
          break;
        }
        const last = modules[modules.length - 1];
        if (node.op === 'Add' && constantSide !== undefined && last?.kind === 'fc' && last.bias === undefined) {
          // A Linear's bias added after MatMul (exported without Gemm): part of the FC.
          dataInput(node, constantSide === b ? 0 : 1);
          (last as { bias?: TorchTensor }).bias = tensor(constantOf(node, constantSide, 'bias'));
          mark();
          break;
        }
        if (constantSide === undefined || seenWeighted || resolve(constantSide === b ? a : b) !== normalised) {
          throw new UnsupportedModelError(node.name, node.op, 'arithmetic with a constant is only supported on the input, before the first convolution (the Sub/Mul normalisation)');
        }
        if (constantSide === a && node.op !== 'Mul' && node.op !== 'Add') throw new UnsupportedModelError(node.name, node.op, 'constant minus input is not a normalisation');
        const v = scalarOf(node, constants.get(constantSide)!);
        if (node.op === 'Sub') offset -= v;
        else if (node.op === 'Add') offset += v;
        else if (node.op === 'Mul') {
          scale *= v;
          offset *= v;
        } else {
          scale /= v;
          offset /= v;
        }
        normalised = out;
        mark();
        break;
      }
      case 'Conv': {
        dataInput(node);
        const w = constantOf(node, node.inputs[1]!, 'weight');
        const b = node.inputs[2] ? constantOf(node, node.inputs[2], 'bias') : undefined;
        const strides = attr(node, 'strides')?.ints ?? [1, 1];
        const pads = attr(node, 'pads')?.ints ?? [0, 0, 0, 0];
        const dilations = attr(node, 'dilations')?.ints ?? [1, 1];
        const autoPad = attr(node, 'auto_pad')?.s ?? 'NOTSET';
        if (w.dims.length !== 4) throw new UnsupportedModelError(node.name, node.op, `only 2-D convolutions are supported (weight rank ${w.dims.length})`);
        if (autoPad !== 'NOTSET') throw new UnsupportedModelError(node.name, node.op, `auto_pad ${autoPad} is not supported (PyTorch exports explicit pads)`);
        if (dilations.some((d) => d !== 1)) throw new UnsupportedModelError(node.name, node.op, 'dilated convolutions are not supported');
        if (strides[0] !== strides[1] || pads.some((p) => p !== pads[0])) {
          throw new UnsupportedModelError(node.name, node.op, `asymmetric strides [${strides.join(', ')}] or pads [${pads.join(', ')}] are not in iResNet or MobileFaceNet`);
        }
        modules.push({ kind: 'conv', node, weight: tensor(w), ...(b ? { bias: tensor(b) } : {}), stride: strides[0]!, pads, groups: attr(node, 'group')?.i ?? 1 });
        seenWeighted = true;
        mark();
        break;
      }
      case 'BatchNormalization': {
        dataInput(node);
        if (node.outputs.length > 1 || (attr(node, 'training_mode')?.i ?? 0) !== 0) throw new UnsupportedModelError(node.name, node.op, 'training-mode batch norm is not supported; export in eval mode');
        const [g, beta, mean, variance] = node.inputs.slice(1, 5).map((n, i) => constantOf(node, n, ['scale', 'B', 'mean', 'var'][i]!));
        const epsilon = attr(node, 'epsilon')?.f ?? 1e-5;
        // Our BN adds ε = 1e-5; another ε is folded into the variance, which gives the same output.
        const shift = epsilon - OUR_EPSILON;
        const v = Float32Array.from(variance!.floats!, (x) => x + shift);
        modules.push({ kind: 'bn', node, weight: tensor(g!), bias: tensor(beta!), mean: tensor(mean!), variance: { shape: variance!.dims, data: v } });
        seenWeighted = true;
        mark();
        break;
      }
      case 'PRelu': {
        dataInput(node);
        const slope = constantOf(node, node.inputs[1]!, 'slope');
        modules.push({ kind: 'prelu', node, weight: { shape: [slope.floats!.length], data: slope.floats! } });
        mark();
        break;
      }
      case 'Flatten': {
        dataInput(node);
        if ((attr(node, 'axis')?.i ?? 1) !== 1) throw new UnsupportedModelError(node.name, node.op, 'only Flatten(axis=1) is supported');
        flattened = true;
        mark();
        break;
      }
      case 'Reshape': {
        dataInput(node);
        const target = resolve(node.inputs[1] ?? '');
        const c = constants.get(target);
        const flat = shapeValued.has(target) || (c?.ints !== undefined && c.ints.length === 2 && (c.ints[1] === -1 || c.ints[0] === -1 || c.ints[0] === 0));
        if (!flat) throw new UnsupportedModelError(node.name, node.op, 'only a reshape to [batch, features] (x.view(x.size(0), -1)) is supported');
        flattened = true;
        mark();
        break;
      }
      case 'Gemm': {
        dataInput(node);
        if (!flattened) throw new UnsupportedModelError(node.name, node.op, 'a fully connected layer before the flatten is not in iResNet or MobileFaceNet');
        const w = constantOf(node, node.inputs[1]!, 'B');
        const transA = attr(node, 'transA')?.i ?? 0;
        const transB = attr(node, 'transB')?.i ?? 0;
        const alpha = attr(node, 'alpha')?.f ?? 1;
        const beta = attr(node, 'beta')?.f ?? 1;
        if (transA !== 0 || alpha !== 1 || beta !== 1) throw new UnsupportedModelError(node.name, node.op, 'only Gemm with transA = 0, alpha = beta = 1 is supported');
        const weight = transB === 1 ? tensor(w) : transpose2d(tensor(w));
        const b = node.inputs[2] ? constantOf(node, node.inputs[2], 'C') : undefined;
        modules.push({ kind: 'fc', node, weight, ...(b ? { bias: tensor(b) } : {}) });
        mark();
        break;
      }
      case 'MatMul': {
        dataInput(node);
        if (!flattened) throw new UnsupportedModelError(node.name, node.op, 'a matrix product before the flatten is not in iResNet or MobileFaceNet');
        const w = constantOf(node, node.inputs[1]!, 'B');
        if (w.dims.length !== 2) throw new UnsupportedModelError(node.name, node.op, 'only a product with a 2-D weight is supported');
        modules.push({ kind: 'fc', node, weight: transpose2d(tensor(w)) });
        mark();
        break;
      }
      default:
        throw new UnsupportedModelError(
          node.name,
          node.op,
          'this op is not part of an arcface_torch iResNet or MobileFaceNet export (supported: Conv, BatchNormalization, PRelu, Add, Flatten, Reshape, Gemm, MatMul, Sub, Mul, Div, Identity, Dropout, Constant and shape ops)',
        );
    }
  }
  for (const node of model.nodes) {
    if (SHAPE_OPS.has(node.op)) continue;
    node.inputs.forEach((name, i) => {
      if (shapeValued.has(resolve(name)) && !(node.op === 'Reshape' && i === 1)) {
        throw new UnsupportedModelError(node.name, node.op, `uses the shape computation '${name}' as data`);
      }
    });
  }
  const side = input.dims[2];
  // (x·scale + offset) = (x − mean) / std.
  const preprocessing: InputPreprocessing =
    scale === 1 && offset === 0 ? ARCFACE_PREPROCESSING : { mean: -offset / scale, std: 1 / scale };
  if (modules.length === 0) throw new ModelFormatError(file, 'the graph has no convolutions');
  return { modules, preprocessing, residualAdds, ...(side !== undefined && side > 0 ? { inputSide: side } : {}) };
}

/**
 * A node whose inputs are all constants and that only reshapes or transposes them (exports
 * without constant folding: a PReLU slope unsqueezed to [C, 1, 1], an FC weight transposed
 * for MatMul) becomes a constant itself.
 */
function foldConstant(node: OnnxNode, constants: ReadonlyMap<string, OnnxConstant>, resolve: (name: string) => string): OnnxConstant | undefined {
  const FOLDABLE = new Set(['Unsqueeze', 'Squeeze', 'Reshape', 'Identity', 'Transpose', 'Cast']);
  if (!FOLDABLE.has(node.op) || node.inputs.length === 0) return undefined;
  const inputs = node.inputs.map((i) => constants.get(resolve(i)));
  const x = inputs[0];
  if (x === undefined || x.floats === undefined || inputs.some((c) => c === undefined)) return undefined;
  const name = node.outputs[0] ?? '';
  const count = x.floats.length;
  const axesOf = () => (node.attributes.get('axes')?.ints ?? inputs[1]?.ints ?? []).map((a) => a);
  switch (node.op) {
    case 'Identity':
    case 'Cast':
      return { ...x, name };
    case 'Unsqueeze': {
      const rank = x.dims.length + axesOf().length;
      const axes = new Set(axesOf().map((a) => (a < 0 ? a + rank : a)));
      const dims: number[] = [];
      let next = 0;
      for (let d = 0; d < rank; d += 1) dims.push(axes.has(d) ? 1 : (x.dims[next++] as number));
      return { name, dims, floats: x.floats };
    }
    case 'Squeeze': {
      const axes = axesOf().map((a) => (a < 0 ? a + x.dims.length : a));
      return { name, dims: x.dims.filter((d, i) => (axes.length === 0 ? d !== 1 : !axes.includes(i))), floats: x.floats };
    }
    case 'Reshape': {
      const target = inputs[1]?.ints;
      if (target === undefined) return undefined;
      const dims = target.map((d, i) => (d === 0 ? (x.dims[i] as number) : d));
      const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return { name, dims: dims.map((d) => (d === -1 ? count / known : d)), floats: x.floats };
    }
    case 'Transpose': {
      const perm = node.attributes.get('perm')?.ints ?? [1, 0];
      if (x.dims.length !== 2 || perm[0] !== 1) return x.dims.length === 2 ? { ...x, name } : undefined;
      const t = transpose2d({ shape: x.dims, data: x.floats });
      return { name, dims: t.shape, floats: t.data };
    }
    default:
      return undefined;
  }
}

/**
 * The nodes in arcface_torch's module order, whatever order the file lists them in: a
 * depth-first walk back from the output that emits each node after its inputs, and at a
 * residual `Add` visits the branch with more convolutions on it first (the block's main path
 * before its shortcut or downsample conv). Nodes the output does not depend on are dropped.
 */
function forwardOrder(model: OnnxModel): OnnxNode[] {
  const producer = new Map<string, OnnxNode>();
  for (const node of model.nodes) for (const o of node.outputs) producer.set(o, node);
  const depth = new Map<OnnxNode, number>();
  const convDepth = (node: OnnxNode | undefined): number => {
    if (node === undefined) return 0;
    const known = depth.get(node);
    if (known !== undefined) return known;
    depth.set(node, 0); // a cycle (invalid ONNX) ends here instead of recursing forever
    const d = Math.max(0, ...node.inputs.map((i) => convDepth(producer.get(i)))) + (node.op === 'Conv' ? 1 : 0);
    depth.set(node, d);
    return d;
  };
  const order: OnnxNode[] = [];
  const seen = new Set<OnnxNode>();
  const visit = (node: OnnxNode | undefined): void => {
    if (node === undefined || seen.has(node)) return;
    seen.add(node);
    const inputs = node.op === 'Add' ? [...node.inputs].sort((a, b) => convDepth(producer.get(b)) - convDepth(producer.get(a))) : node.inputs;
    for (const i of inputs) visit(producer.get(i));
    order.push(node);
  };
  for (const o of model.outputs) visit(producer.get(o.name));
  return order;
}

function transpose2d(t: TorchTensor): TorchTensor {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r += 1) for (let c = 0; c < cols; c += 1) out[c * rows + r] = t.data[r * cols + c]!;
  return { shape: [cols, rows], data: out };
}

/** The architecture an ONNX reading holds (or `backbone` names): family, depth, width, sizes. */
export function onnxArchitecture(reading: OnnxReading, file: string, backbone?: string): Architecture {
  const hint = backbone === undefined ? undefined : parseBackboneHint(backbone);
  const convs = reading.modules.filter((m) => m.kind === 'conv') as Extract<OnnxModule, { kind: 'conv' }>[];
  const bns = reading.modules.filter((m) => m.kind === 'bn');
  const fc = reading.modules.find((m) => m.kind === 'fc') as Extract<OnnxModule, { kind: 'fc' }> | undefined;
  if (fc === undefined || bns.length === 0) throw new ArchitectureMismatchError(`${file}: no fully connected embedding layer followed by a batch norm; not an insightface recognition model`);
  const embeddingSize = fc.weight.shape[0]!;
  const stem = convs[0]!.weight.shape[0]!;
  const grouped = convs.some((c) => c.groups > 1);
  const family = hint?.family ?? (grouped ? 'mobilefacenet' : 'iresnet');
  if (family === 'iresnet') {
    const width = stem / 64;
    const blocks = (convs.length - 5) / 2;
    const depth =
      hint?.depth ??
      (Object.entries(IRESNET_LAYERS).find(([, l]) => l.reduce((a, b) => a + b, 0) === blocks)?.[0] as unknown as number | undefined);
    if (depth === undefined) throw new ArchitectureMismatchError(`${file}: ${convs.length} convolutions fit no iResNet depth (18/34/50/100/200)`);
    const channels = scaledWidth(512, width);
    const positions = fc.weight.shape[1]! / channels;
    const side = reading.inputSide ?? Math.round(Math.sqrt(positions)) * 16;
    return { family, depth: Number(depth) as 18, width, embeddingSize, inputShape: [side, side, 3] };
  }
  const candidates: Array<readonly [number, number, number, number]> = hint?.blocks ? [hint.blocks] : [[1, 4, 6, 2], [2, 8, 12, 4]];
  const gdc = convs[convs.length - 1]!;
  const side = reading.inputSide ?? gdc.weight.shape[2]! * 16;
  for (const blocks of candidates) {
    // The first DepthWise's expand conv: c(128) filters.
    const expand = convs[blocks[0] === 1 ? 2 : 1]!;
    const width = expand.weight.shape[0]! / 128;
    const scale = Math.round(stem / 64 / width);
    const arch: Architecture = { family: 'mobilefacenet', blocks, scale, width, embeddingSize, inputShape: [side, side, 3] };
    if (torchLayout(arch).filter((m) => m.kind === 'conv').length === convs.length) return arch;
  }
  throw new ArchitectureMismatchError(`${file}: ${convs.length} convolutions fit neither MobileFaceNet (blocks 1,4,6,2) nor mbf_large (2,8,12,4); pass --backbone`);
}

function scaledWidth(channels: number, width: number): number {
  return Math.max(1, Math.round(channels * width));
}

/**
 * Lays the graph's modules onto the architecture's, one by one in order. A convolution with a
 * bias where arcface_torch has conv → BN is PyTorch's eval-mode export folding the BN into the
 * conv: our BN then becomes the identity plus that bias (γ = 1, β = bias, mean 0, variance
 * 1 − ε, so the output is the folded conv's exactly). Any other difference — kind, shape,
 * stride, padding, groups, a module left over — throws, naming the node.
 */
export function onnxWeights(reading: OnnxReading, arch: Architecture, model: tfl.LayersModel, file: string): { layout: TorchModule[]; weights: ModuleWeights[] } {
  const layout = torchLayout(arch);
  const weights: ModuleWeights[] = [];
  let i = 0;
  let pendingBias: { bias: TorchTensor; node: OnnxNode } | undefined;
  for (const module of layout) {
    if (pendingBias !== undefined) {
      if (module.kind !== 'bn') throw new ArchitectureMismatchError(`${file}: node '${pendingBias.node.name}' has a bias where ${module.torch} follows (a ${module.kind}, not a batch norm to fold)`);
      const c = pendingBias.bias.data.length;
      weights.push({
        kind: 'bn',
        source: `${file} node '${pendingBias.node.name}' (folded ${module.torch})`,
        weight: { shape: [c], data: new Float32Array(c).fill(1) },
        bias: pendingBias.bias,
        mean: { shape: [c], data: new Float32Array(c) },
        variance: { shape: [c], data: new Float32Array(c).fill(1 - OUR_EPSILON) },
      });
      pendingBias = undefined;
      continue;
    }
    const m = reading.modules[i];
    if (m === undefined) throw new ArchitectureMismatchError(`${file}: the graph ends where ${module.torch} (${module.kind}) should come; not a complete ${arch.family}`);
    i += 1;
    const source = `${file} node '${m.node.name}' (${m.node.op})`;
    if (m.kind !== module.kind) {
      throw new ArchitectureMismatchError(`${source}: a ${m.kind} where ${arch.family} has ${module.torch} (a ${module.kind}); the graph is another architecture — pass --backbone or re-export from arcface_torch`);
    }
    switch (m.kind) {
      case 'conv': {
        const g = convGeometry(model, module.layer);
        const shape = torchConvShape(g);
        if (m.stride !== g.stride || m.pads[0] !== g.padding || m.groups !== g.groups || m.weight.shape.some((d, k) => d !== shape[k])) {
          throw new ArchitectureMismatchError(
            `${source}: weight [${m.weight.shape.join(', ')}], stride ${m.stride}, pad ${m.pads[0]}, group ${m.groups} where ${module.torch} has [${shape.join(', ')}], stride ${g.stride}, pad ${g.padding}, groups ${g.groups}`,
          );
        }
        weights.push({ kind: 'conv', source, weight: m.weight });
        if (m.bias !== undefined) pendingBias = { bias: m.bias, node: m.node };
        break;
      }
      case 'bn':
        weights.push({ kind: 'bn', source, weight: m.weight, bias: m.bias, mean: m.mean, variance: m.variance });
        break;
      case 'prelu':
        weights.push({ kind: 'prelu', source, weight: m.weight });
        break;
      case 'fc':
        weights.push({ kind: 'fc', source, weight: m.weight, ...(m.bias ? { bias: m.bias } : {}) });
        break;
    }
  }
  if (i < reading.modules.length) {
    const extra = reading.modules[i]!;
    throw new ArchitectureMismatchError(`${file}: node '${extra.node.name}' (${extra.node.op}) comes after the last module of ${arch.family}; the graph is another architecture`);
  }
  const adds = arch.family === 'iresnet' ? IRESNET_LAYERS[arch.depth].reduce((a, b) => a + b, 0) : arch.blocks.reduce((a, b) => a + b, 0) - (arch.blocks[0] === 1 ? 1 : 0);
  if (reading.residualAdds !== adds) {
    throw new ArchitectureMismatchError(`${file}: ${reading.residualAdds} residual additions where ${arch.family} has ${adds}; the graph is wired differently`);
  }
  return { layout, weights };
}
