import { ModelFormatError, UnsupportedModelError } from '../errors';
import { alignedCopy, halfToFloat } from './float16';
import { ProtoMessage } from './protobuf';

/** A constant of an ONNX graph (an initializer or a `Constant` node's value). */
export interface OnnxConstant {
  readonly name: string;
  readonly dims: readonly number[];
  /** Float element types (FLOAT, FLOAT16, DOUBLE), as float32. */
  readonly floats?: Float32Array;
  /** Integer element types (INT64, INT32, …), for shapes and axes. */
  readonly ints?: readonly number[];
}

export interface OnnxAttribute {
  readonly name: string;
  readonly f?: number;
  readonly i?: number;
  readonly s?: string;
  readonly t?: OnnxConstant;
  readonly floats?: readonly number[];
  readonly ints?: readonly number[];
}

export interface OnnxNode {
  readonly name: string;
  readonly op: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  readonly name: string;
  /** Dimensions; a symbolic or missing one is `undefined`. */
  readonly dims: readonly (number | undefined)[];
}

export interface OnnxModel {
  readonly irVersion: number;
  /** Version of the default ('' / 'ai.onnx') operator set. */
  readonly opset: number;
  readonly producer: string;
  readonly nodes: readonly OnnxNode[];
  readonly constants: ReadonlyMap<string, OnnxConstant>;
  /** Graph inputs that are not initializers. */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

const enum DataType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  INT32 = 6,
  INT64 = 7,
  FLOAT16 = 10,
  DOUBLE = 11,
}

/** Opsets whose definitions of the ops read here are known (9 to 17). */
export const ONNX_OPSETS = { min: 9, max: 17 } as const;

/**
 * Decodes an ONNX `ModelProto` (onnx.proto3 field numbers). Initializers in `raw_data` or in the
 * typed fields; external data is refused (its tensors live in other files that a browser cannot
 * open next to this one).
 */
export function decodeOnnx(bytes: Uint8Array, file: string): OnnxModel {
  const model = ProtoMessage.decode(bytes, file);
  const graph = model.message(7);
  if (graph === undefined) throw new ModelFormatError(file, 'no graph in this ONNX ModelProto (is it an ONNX file?)');
  let opset = 0;
  for (const entry of model.messages(8)) {
    const domain = entry.string(1);
    if (domain === '' || domain === 'ai.onnx') opset = entry.int(2);
  }
  if (opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max) {
    throw new ModelFormatError(file, `opset ${opset} is outside the supported ${ONNX_OPSETS.min}–${ONNX_OPSETS.max}; re-export with torch.onnx.export(opset_version=17)`);
  }
  const constants = new Map<string, OnnxConstant>();
  for (const t of graph.messages(5)) {
    const c = decodeTensor(t, file);
    constants.set(c.name, c);
  }
  if (graph.has(15)) throw new ModelFormatError(file, 'sparse initializers are not supported');
  const nodes = graph.messages(1).map((n, index): OnnxNode => {
    const op = n.string(4);
    const attributes = new Map<string, OnnxAttribute>();
    for (const a of n.messages(5)) {
      const name = a.string(1);
      const t = a.message(5);
      attributes.set(name, {
        name,
        ...(a.has(2) ? { f: a.float(2) } : {}),
        ...(a.has(3) ? { i: a.int(3) } : {}),
        ...(a.has(4) ? { s: a.string(4) } : {}),
        ...(t !== undefined ? { t: decodeTensor(t, file) } : {}),
        ...(a.has(7) ? { floats: a.floats(7) } : {}),
        ...(a.has(8) ? { ints: a.ints(8) } : {}),
      });
    }
    return { name: n.string(3) || `${op}_${index}`, op, domain: n.string(7), inputs: n.strings(1), outputs: n.strings(2), attributes };
  });
  const valueInfo = (v: ProtoMessage): OnnxValueInfo => {
    const shape = v.message(2)?.message(1)?.message(2);
    const dims = (shape?.messages(1) ?? []).map((d) => (d.has(1) ? d.int(1) : undefined));
    return { name: v.string(1), dims };
  };
  return {
    irVersion: model.int(1),
    opset,
    producer: `${model.string(2)} ${model.string(3)}`.trim(),
    nodes,
    constants,
    inputs: graph.messages(11).map(valueInfo).filter((v) => !constants.has(v.name)),
    outputs: graph.messages(12).map(valueInfo),
  };
}

function decodeTensor(t: ProtoMessage, file: string): OnnxConstant {
  const name = t.string(8);
  const dims = t.ints(1);
  const type = t.int(2);
  const count = dims.reduce((a, b) => a * b, 1);
  if (t.int(14) === 1 || t.has(13)) {
    throw new ModelFormatError(file, `tensor '${name}' keeps its data in an external file; save the model as one file (onnx.save(model, path, save_as_external_data=False))`);
  }
  const raw = t.bytes(9);
  const check = (n: number) => {
    if (n !== count) throw new ModelFormatError(file, `tensor '${name}' has ${n} values for dims [${dims.join(', ')}] (${count}); the file is truncated or corrupt`);
  };
  switch (type) {
    case DataType.FLOAT: {
      const floats = raw !== undefined ? new Float32Array(alignedCopy(raw), 0, Math.floor(raw.length / 4)) : Float32Array.from(t.floats(4));
      if (raw !== undefined && raw.length % 4 !== 0) check(-1);
      check(floats.length);
      return { name, dims, floats };
    }
    case DataType.DOUBLE: {
      const values = raw !== undefined ? Array.from(new Float64Array(alignedCopy(raw), 0, Math.floor(raw.length / 8))) : t.doubles(10);
      check(values.length);
      return { name, dims, floats: Float32Array.from(values) };
    }
    case DataType.FLOAT16: {
      // Typed-field FLOAT16 values travel as int32_data holding the 16-bit patterns.
      const bits = raw !== undefined ? new Uint16Array(alignedCopy(raw), 0, Math.floor(raw.length / 2)) : Uint16Array.from(t.ints(5));
      check(bits.length);
      return { name, dims, floats: halfToFloat(bits) };
    }
    case DataType.INT64: {
      let ints: number[];
      if (raw !== undefined) {
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        ints = Array.from({ length: Math.floor(raw.length / 8) }, (_, i) => Number(view.getBigInt64(i * 8, true)));
      } else ints = t.ints(7);
      check(ints.length);
      return { name, dims, ints };
    }
    case DataType.INT32:
    case DataType.INT8:
    case DataType.UINT8: {
      let ints: number[];
      if (raw !== undefined) {
        ints =
          type === DataType.INT32
            ? Array.from(new Int32Array(alignedCopy(raw), 0, Math.floor(raw.length / 4)))
            : Array.from(type === DataType.INT8 ? new Int8Array(alignedCopy(raw)) : raw);
      } else ints = t.ints(5);
      check(ints.length);
      return { name, dims, ints };
    }
    default:
      throw new UnsupportedModelError(name, 'initializer', `element type ${type} is not supported (float32, float16, float64 and integer tensors are)`);
  }
}
