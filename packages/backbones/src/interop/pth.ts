import { PickleGlobal, PickleObject, PickleTuple, unpicklePrefix, type PickleValue, type UnpickleOptions } from '@arcface/data';
import { ModelFormatError } from '../errors';
import { alignedCopy, halfToFloat } from './float16';
import type { TorchTensor } from './torch-weights';
import { readStoredZip } from './zip';

/** Bytes per element and conversion to float32 of the storage types a state_dict may hold. */
const STORAGES: Record<string, { bytes: number; read: (raw: Uint8Array) => Float32Array }> = {
  FloatStorage: { bytes: 4, read: (raw) => new Float32Array(alignedCopy(raw)) },
  HalfStorage: { bytes: 2, read: (raw) => halfToFloat(new Uint16Array(alignedCopy(raw))) },
  DoubleStorage: { bytes: 8, read: (raw) => Float32Array.from(new Float64Array(alignedCopy(raw))) },
  BFloat16Storage: {
    bytes: 2,
    read: (raw) => {
      const bits = new Uint16Array(alignedCopy(raw));
      const wide = new Uint32Array(bits.length);
      for (let i = 0; i < bits.length; i += 1) wide[i] = (bits[i] as number) << 16;
      return new Float32Array(wide.buffer);
    },
  },
  LongStorage: { bytes: 8, read: (raw) => Float32Array.from(new BigInt64Array(alignedCopy(raw)), Number) },
  IntStorage: { bytes: 4, read: (raw) => Float32Array.from(new Int32Array(alignedCopy(raw))) },
};

interface StorageRef {
  readonly type: string;
  readonly key: string;
  readonly numel: number;
}

interface TensorRef {
  readonly storage: StorageRef;
  readonly offset: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
}

/**
 * Reads the tensors of a PyTorch checkpoint (`torch.save(model.state_dict(), f)`): the zip format
 * of torch ≥ 1.6 and the legacy single-stream format (`_use_new_zipfile_serialization=False`).
 * The pickles go through @arcface/data's safe unpickler with an allow-list of exactly the names a
 * state_dict uses (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
 * `_rebuild_parameter`, the storage types); any other global — a pickle that would run code — is
 * refused with `UnsafePickleError`. Storages are read by key; fp16/bf16/fp64 become float32.
 * A checkpoint holding `{'state_dict': …}` or `{'model': …}` is unwrapped.
 */
export function readTorchStateDict(bytes: Uint8Array, file: string): Map<string, TorchTensor> {
  const isZip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  if (isZip) return readZipCheckpoint(bytes, file);
  if (bytes.length > 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
    throw new ModelFormatError(file, 'this is the tar checkpoint format of PyTorch < 0.4; load it in PyTorch and torch.save it again');
  }
  if (bytes[0] !== 0x80) throw new ModelFormatError(file, 'neither a zip (torch ≥ 1.6) nor a pickle (legacy torch.save) checkpoint');
  return readLegacyCheckpoint(bytes, file);
}

function readZipCheckpoint(bytes: Uint8Array, file: string): Map<string, TorchTensor> {
  const entries = readStoredZip(bytes, file);
  const pkl = [...entries.keys()].find((name) => name.endsWith('data.pkl') && name.split('/').length === 2);
  if (pkl === undefined) throw new ModelFormatError(file, 'zip without <name>/data.pkl: not a torch.save checkpoint');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder !== undefined && new TextDecoder().decode(byteorder).trim() === 'big') {
    throw new ModelFormatError(file, 'saved on a big-endian machine; not supported');
  }
  const root = parsePickle(entries.get(pkl)!, file, 0).value;
  return collectTensors(root, file, (ref) => {
    const raw = entries.get(`${prefix}data/${ref.key}`);
    if (raw === undefined) throw new ModelFormatError(file, `storage '${ref.key}' is missing from the zip; the file is truncated`);
    return raw;
  });
}

function readLegacyCheckpoint(bytes: Uint8Array, file: string): Map<string, TorchTensor> {
  let pos = 0;
  const next = (): PickleValue => {
    const { value, length } = parsePickle(bytes.subarray(pos), file, pos);
    pos += length;
    return value;
  };
  const magic = next();
  if (magic !== 0x1950a86a20f9469cfc6cn) throw new ModelFormatError(file, 'not a PyTorch checkpoint (wrong magic number)');
  const protocol = next();
  if (protocol !== 1001) throw new ModelFormatError(file, `legacy protocol ${typeof protocol === 'object' ? 'object' : String(protocol as string | number)} is not 1001`);
  next(); // sys_info: byte order and type sizes of the saving machine.
  const root = next();
  const keys = next();
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new ModelFormatError(file, 'storage key list is not a list of strings');
  // Each storage: int64 element count, then its bytes, in the order of the key list.
  const storages = new Map<string, Uint8Array>();
  const refs = new Map<string, StorageRef>();
  const pending = collectRefs(root);
  for (const r of pending) refs.set(r.key, r);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys as string[]) {
    if (pos + 8 > bytes.length) throw new ModelFormatError(file, `storage '${key}' is cut off; the file is truncated`);
    const numel = Number(view.getBigInt64(pos, true));
    pos += 8;
    const element = STORAGES[refs.get(key)?.type ?? 'FloatStorage']!.bytes;
    const length = numel * element;
    if (numel < 0 || pos + length > bytes.length) throw new ModelFormatError(file, `storage '${key}' is cut off; the file is truncated`);
    storages.set(key, bytes.subarray(pos, pos + length));
    pos += length;
  }
  return collectTensors(root, file, (ref) => {
    const raw = storages.get(ref.key);
    if (raw === undefined) throw new ModelFormatError(file, `storage '${ref.key}' is not in the file`);
    return raw;
  });
}

function parsePickle(bytes: Uint8Array, file: string, at: number): { value: PickleValue; length: number } {
  const globals: Record<string, PickleGlobal> = {
    'collections OrderedDict': new PickleGlobal('collections.OrderedDict', () => new Map()),
    'torch._utils _rebuild_tensor_v2': new PickleGlobal('torch._utils._rebuild_tensor_v2', (args) => {
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof PickleObject) || storage.type !== 'storage' || typeof offset !== 'number' || !(size instanceof PickleTuple) || !(stride instanceof PickleTuple)) {
        throw new ModelFormatError(file, '_rebuild_tensor_v2 with unexpected arguments');
      }
      const ref: TensorRef = { storage: storage.value as StorageRef, offset, size: size.items as number[], stride: stride.items as number[] };
      return new PickleObject('tensor', ref);
    }),
    'torch._utils _rebuild_parameter': new PickleGlobal('torch._utils._rebuild_parameter', (args) => args[0] as PickleValue),
  };
  for (const type of Object.keys(STORAGES)) globals[`torch ${type}`] = new PickleGlobal(`torch.${type}`, () => {
    throw new ModelFormatError(file, `torch.${type} called directly`);
  });
  const options: UnpickleOptions = {
    globals,
    persistentLoad: (pid) => {
      const items = pid instanceof PickleTuple ? pid.items : [];
      const [tag, type, key, , numel] = items;
      if (tag !== 'storage' || !(type instanceof PickleGlobal) || typeof key !== 'string' || typeof numel !== 'number') {
        throw new ModelFormatError(file, 'persistent id is not a tensor storage');
      }
      return new PickleObject('storage', { type: type.name.slice('torch.'.length), key, numel } satisfies StorageRef);
    },
    // An OrderedDict's state (its `_metadata` of module versions) carries no weights.
    build: (target) => {
      if (!(target instanceof Map)) throw new ModelFormatError(file, 'BUILD on something other than a dict');
      return target;
    },
  };
  try {
    return unpicklePrefix(bytes, options);
  } catch (error) {
    if (error instanceof Error && error.name === 'PickleFormatError') {
      throw new ModelFormatError(file, `${error.message} (pickle at byte ${at})`, { cause: error });
    }
    throw error;
  }
}

function collectRefs(root: PickleValue): StorageRef[] {
  const out: StorageRef[] = [];
  const dict = unwrap(root);
  if (dict === undefined) return out;
  for (const v of dict.values()) if (v instanceof PickleObject && v.type === 'tensor') out.push((v.value as TensorRef).storage);
  return out;
}

function unwrap(root: PickleValue): Map<PickleValue, PickleValue> | undefined {
  if (!(root instanceof Map)) return undefined;
  for (const key of ['state_dict', 'model', 'backbone']) {
    const inner = root.get(key);
    if (inner instanceof Map) return inner;
  }
  return root;
}

function collectTensors(root: PickleValue, file: string, storage: (ref: StorageRef) => Uint8Array): Map<string, TorchTensor> {
  const dict = unwrap(root);
  if (dict === undefined) throw new ModelFormatError(file, 'the checkpoint is not a dict of tensors (save model.state_dict(), not the model)');
  const decoded = new Map<string, Float32Array>();
  const out = new Map<string, TorchTensor>();
  for (const [key, value] of dict) {
    if (typeof key !== 'string' || !(value instanceof PickleObject) || value.type !== 'tensor') continue;
    const ref = value.value as TensorRef;
    const spec = STORAGES[ref.storage.type];
    if (spec === undefined) throw new ModelFormatError(file, `tensor '${key}' has storage type ${ref.storage.type}`);
    let all = decoded.get(ref.storage.key);
    if (all === undefined) {
      const raw = storage(ref.storage);
      if (raw.length < ref.storage.numel * spec.bytes) throw new ModelFormatError(file, `storage '${ref.storage.key}' is shorter than its ${ref.storage.numel} elements; the file is truncated`);
      all = spec.read(raw.subarray(0, ref.storage.numel * spec.bytes));
      decoded.set(ref.storage.key, all);
    }
    out.set(key, { shape: ref.size, data: gather(all, ref, key, file) });
  }
  return out;
}

/** The tensor's elements in row-major order, following its offset and strides. */
function gather(all: Float32Array, ref: TensorRef, key: string, file: string): Float32Array {
  const count = ref.size.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  const rank = ref.size.length;
  const index = new Array<number>(rank).fill(0);
  for (let n = 0; n < count; n += 1) {
    let at = ref.offset;
    for (let d = 0; d < rank; d += 1) at += (index[d] as number) * (ref.stride[d] as number);
    if (at >= all.length) throw new ModelFormatError(file, `tensor '${key}' reaches past its storage`);
    out[n] = all[at] as number;
    for (let d = rank - 1; d >= 0; d -= 1) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (ref.size[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}
