import { PickleFormatError, UnsafePickleError } from '../errors';
import { PickleGlobal, PickleSet, PickleTuple, type PickleValue } from './pickle-value';

/** Opcodes that import a name or call something. Refused on sight, before any argument is read. */
const CODE_OPCODES: Record<number, string> = {
  0x63: 'GLOBAL',
  0x93: 'STACK_GLOBAL',
  0x52: 'REDUCE',
  0x62: 'BUILD',
  0x69: 'INST',
  0x6f: 'OBJ',
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
};

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

/**
 * What a caller may let a pickle use beyond plain data. Everything not listed stays refused.
 */
export interface UnpickleOptions {
  /**
   * Globals the stream may name (`'collections OrderedDict'`, `'torch._utils _rebuild_tensor_v2'`):
   * `GLOBAL`/`STACK_GLOBAL` of a listed name pushes the {@link PickleGlobal}, of any other name
   * throws {@link UnsafePickleError}; `REDUCE` calls only a listed global.
   */
  readonly globals?: Readonly<Record<string, PickleGlobal>>;
  /** Resolves a persistent id (`BINPERSID`, as PyTorch uses for tensor storages). Without it, refused. */
  readonly persistentLoad?: (pid: PickleValue) => PickleValue;
  /**
   * `BUILD` (an object's `__setstate__`): given the object and the state, returns the object to
   * keep. Without it, refused. PyTorch's `OrderedDict` state dicts carry `_metadata` this way.
   */
  readonly build?: (target: PickleValue, state: PickleValue) => PickleValue;
}

/**
 * Reads a pickle (protocols 0–5, binary opcodes) that holds only data: None, bools, ints,
 * floats, strings, bytes, lists, tuples, dicts, sets; the memo (`PUT`/`GET`, `MEMOIZE`) and
 * `FRAME`s. Python 2 `str` come back as bytes, as with `pickle.load(f, encoding='bytes')`.
 *
 * Nothing in the stream can run code here: every opcode that would import a name or call an
 * object (`GLOBAL`, `STACK_GLOBAL`, `REDUCE`, `BUILD`, `INST`, `OBJ`, `NEWOBJ`, `EXT*`,
 * `PERSID`) throws {@link UnsafePickleError}. Malformed or truncated input throws
 * {@link PickleFormatError}. Work is linear in the input size.
 *
 * With `options`, a caller lets through exactly the globals, persistent ids and `BUILD`s it
 * handles itself (see {@link UnpickleOptions}); every other code opcode is still refused.
 *
 * @example
 * unpickle(new Uint8Array([0x80, 0x02, 0x88, 0x2e])); // true
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): PickleValue {
  return unpicklePrefix(bytes, options).value;
}

/**
 * Reads the pickle at the start of `bytes` like {@link unpickle} and says where its `STOP` ended:
 * for streams of several pickles one after another (PyTorch's legacy `.pth` files).
 */
export function unpicklePrefix(bytes: Uint8Array, options: UnpickleOptions = {}): { value: PickleValue; length: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;

  const fail = (message: string): never => {
    throw new PickleFormatError(`${message} at byte ${pos} of ${bytes.length}`);
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > bytes.length) fail(`truncated pickle: ${n} more bytes needed`);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++] as number;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    // Any length past the end of the input is an error anyway; a number is enough.
    return v > BigInt(bytes.length) ? bytes.length + 1 : Number(v);
  };
  const pop = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return fail('stack underflow');
    stack.pop();
    return v;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return fail('stack underflow');
    return v;
  };
  const popMark = (): PickleValue[] => {
    const mark = marks.pop();
    if (mark === undefined) return fail('unbalanced MARK: no MARK open');
    // The slice starts with the MARK itself; callers drop it with slice(1).
    return stack.splice(mark) as PickleValue[];
  };
  const utf8 = (raw: Uint8Array): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      return fail('invalid UTF-8 in a unicode string');
    }
  };
  const memoGet = (index: number): PickleValue => {
    if (!memo.has(index)) fail(`memo key ${index} was never stored`);
    return memo.get(index) as PickleValue;
  };
  const asList = (value: PickleValue, op: string): PickleValue[] => {
    if (!Array.isArray(value)) return fail(`${op} needs a list below its items`);
    return value;
  };
  const asDict = (value: PickleValue, op: string): Map<PickleValue, PickleValue> => {
    if (!(value instanceof Map)) return fail(`${op} needs a dict below its items`);
    return value;
  };
  const littleEndianInt = (raw: Uint8Array): number | bigint => {
    // Two's complement, little-endian (LONG1/LONG4).
    if (raw.length === 0) return 0;
    let value = 0n;
    for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i] as number);
    if (((raw[raw.length - 1] as number) & 0x80) !== 0) value -= 1n << BigInt(8 * raw.length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };

  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) return fail('truncated pickle: unterminated GLOBAL name');
    const line = utf8(bytes.subarray(pos, end));
    pos = end + 1;
    return line;
  };
  const lookupGlobal = (qualified: string, op: string, at: number): PickleGlobal => {
    const found = options.globals !== undefined && Object.hasOwn(options.globals, qualified) ? options.globals[qualified] : undefined;
    if (found === undefined) throw new UnsafePickleError(op, at, `'${qualified}' is not an allowed global`);
    return found;
  };

  for (;;) {
    if (pos >= bytes.length) fail('truncated pickle: no STOP opcode');
    const at = pos;
    const op = bytes[pos++] as number;
    const code = CODE_OPCODES[op];
    if (code !== undefined && !allowed(op, options)) throw new UnsafePickleError(code, at);
    switch (op) {
      case 0x63: {
        // GLOBAL: "module\nname\n".
        const module = readLine();
        const name = readLine();
        stack.push(lookupGlobal(`${module} ${name}`, 'GLOBAL', at));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(lookupGlobal(`${module as string} ${name as string}`, 'STACK_GLOBAL', at));
        break;
      }
      case 0x52: {
        // REDUCE: only a caller-listed global is ever called.
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PickleGlobal)) throw new UnsafePickleError('REDUCE', at, 'the callable is not an allowed global');
        if (!(args instanceof PickleTuple)) fail('REDUCE needs an argument tuple');
        stack.push(callable.call((args as PickleTuple).items));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = pop();
        stack.push((options.build as NonNullable<UnpickleOptions['build']>)(target, state));
        break;
      }
      case 0x51: // BINPERSID
        stack.push((options.persistentLoad as NonNullable<UnpickleOptions['persistentLoad']>)(pop()));
        break;
      case 0x80: {
        // PROTO
        const proto = u8();
        if (proto > 5) fail(`unsupported pickle protocol ${proto}`);
        break;
      }
      case 0x95: // FRAME: a length prefix for buffering; the opcodes inside are read as usual.
        u64();
        break;
      case 0x2e: {
        // STOP
        if (marks.length > 0) fail('unbalanced MARK: MARK still open at STOP');
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack (expected 1)`);
        return { value: stack[0] as PickleValue, length: pos };
      }
      case 0x28: // MARK
        marks.push(stack.length);
        stack.push(MARK);
        break;
      case 0x30: // POP
        if (stack[stack.length - 1] === MARK) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(littleEndianInt(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(littleEndianInt(take(n)));
        break;
      }
      case 0x47: {
        // BINFLOAT: big-endian float64.
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x55: // SHORT_BINSTRING (Python 2 str, < 256 bytes): kept as bytes.
        stack.push(take(u8()));
        break;
      case 0x54: {
        // BINSTRING (Python 2 str): signed 32-bit length.
        const n = i32();
        if (n < 0) fail(`negative BINSTRING length ${n}`);
        stack.push(take(n));
        break;
      }
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()));
        break;
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(take(u8())));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(take(u32())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(take(u64())));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new PickleSet([]));
        break;
      case 0x85: // TUPLE1
        stack.push(new PickleTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b, c]));
        break;
      }
      case 0x74: {
        // TUPLE
        const items = popMark();
        stack.push(new PickleTuple(items.slice(1)));
        break;
      }
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items.slice(1));
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(new PickleSet(items.slice(1)));
        break;
      }
      case 0x64: {
        // DICT
        const items = popMark().slice(1);
        if (items.length % 2 !== 0) fail('DICT with an odd number of items');
        const dict = new Map<PickleValue, PickleValue>();
        for (let i = 0; i < items.length; i += 2) dict.set(items[i] as PickleValue, items[i + 1] as PickleValue);
        stack.push(dict);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        asList(top(), 'APPEND').push(value);
        break;
      }
      case 0x65: {
        // APPENDS: the py2 pickler batches list items 1000 per MARK … APPENDS.
        const items = popMark().slice(1);
        const list = asList(top(), 'APPENDS');
        for (const item of items) list.push(item);
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark().slice(1);
        const set = top();
        if (!(set instanceof PickleSet)) fail('ADDITEMS needs a set below its items');
        (set as PickleSet).items.push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        asDict(top(), 'SETITEM').set(key, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark().slice(1);
        if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
        const dict = asDict(top(), 'SETITEMS');
        for (let i = 0; i < items.length; i += 2) dict.set(items[i] as PickleValue, items[i + 1] as PickleValue);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      default:
        throw new PickleFormatError(
          `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(op))}) at byte ${at}` +
            ' (text protocol 0 and out-of-band buffers are not read)',
        );
    }
  }
}

/** Whether the caller's options let a code opcode through to its handler. */
function allowed(op: number, options: UnpickleOptions): boolean {
  switch (op) {
    case 0x63: // GLOBAL
    case 0x93: // STACK_GLOBAL
    case 0x52: // REDUCE
      return options.globals !== undefined;
    case 0x62: // BUILD
      return options.build !== undefined;
    case 0x51: // BINPERSID
      return options.persistentLoad !== undefined;
    default:
      return false;
  }
}
