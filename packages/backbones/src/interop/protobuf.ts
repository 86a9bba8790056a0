import { ModelFormatError } from '../errors';

/**
 * The protobuf wire format, as much of it as ONNX needs: varints, 64/32-bit fixed fields and
 * length-delimited fields. A message is read into a map field number → raw values, and the
 * typed accessors decode on demand. Unknown fields are skipped, as protobuf requires.
 */
export type WireValue = bigint | Uint8Array | { readonly fixed32: number } | { readonly fixed64: DataView };

export class ProtoMessage {
  private constructor(
    private readonly fields: ReadonlyMap<number, readonly WireValue[]>,
    private readonly file: string,
  ) {}

  static decode(bytes: Uint8Array, file: string): ProtoMessage {
    const fields = new Map<number, WireValue[]>();
    let pos = 0;
    const fail = (what: string): never => {
      throw new ModelFormatError(file, `truncated or corrupt protobuf (${what} at byte ${pos} of ${bytes.length})`);
    };
    const varint = (): bigint => {
      let result = 0n;
      let shift = 0n;
      for (;;) {
        if (pos >= bytes.length) return fail('varint runs past the end');
        const byte = bytes[pos++] as number;
        result |= BigInt(byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) return result;
        shift += 7n;
        if (shift > 63n) return fail('varint longer than 10 bytes');
      }
    };
    while (pos < bytes.length) {
      const key = Number(varint());
      const field = key >>> 3;
      const wire = key & 7;
      if (field === 0) fail('field number 0');
      let value: WireValue;
      switch (wire) {
        case 0:
          value = varint();
          break;
        case 1:
          if (pos + 8 > bytes.length) fail('fixed64 runs past the end');
          value = { fixed64: new DataView(bytes.buffer, bytes.byteOffset + pos, 8) };
          pos += 8;
          break;
        case 2: {
          const length = varint();
          if (length > BigInt(bytes.length - pos)) fail(`field ${field} of ${length} bytes runs past the end`);
          value = bytes.subarray(pos, pos + Number(length));
          pos += Number(length);
          break;
        }
        case 5:
          if (pos + 4 > bytes.length) fail('fixed32 runs past the end');
          value = { fixed32: new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getFloat32(0, true) };
          pos += 4;
          break;
        default:
          return fail(`wire type ${wire}`);
      }
      let list = fields.get(field);
      if (list === undefined) fields.set(field, (list = []));
      list.push(value);
    }
    return new ProtoMessage(fields, file);
  }

  has(field: number): boolean {
    return this.fields.has(field);
  }

  private all(field: number): readonly WireValue[] {
    return this.fields.get(field) ?? [];
  }

  private last(field: number): WireValue | undefined {
    const list = this.fields.get(field);
    return list === undefined ? undefined : list[list.length - 1];
  }

  int(field: number, fallback = 0): number {
    const v = this.last(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'bigint') throw new ModelFormatError(this.file, `field ${field} is not a varint`);
    return Number(BigInt.asIntN(64, v));
  }

  float(field: number, fallback = 0): number {
    const v = this.last(field);
    if (v === undefined) return fallback;
    if (typeof v === 'object' && 'fixed32' in v) return v.fixed32;
    throw new ModelFormatError(this.file, `field ${field} is not a float`);
  }

  bytes(field: number): Uint8Array | undefined {
    const v = this.last(field);
    if (v === undefined) return undefined;
    if (!(v instanceof Uint8Array)) throw new ModelFormatError(this.file, `field ${field} is not length-delimited`);
    return v;
  }

  string(field: number, fallback = ''): string {
    const raw = this.bytes(field);
    return raw === undefined ? fallback : new TextDecoder().decode(raw);
  }

  strings(field: number): string[] {
    return this.all(field).map((v) => {
      if (!(v instanceof Uint8Array)) throw new ModelFormatError(this.file, `field ${field} is not a string`);
      return new TextDecoder().decode(v);
    });
  }

  message(field: number): ProtoMessage | undefined {
    const raw = this.bytes(field);
    return raw === undefined ? undefined : ProtoMessage.decode(raw, this.file);
  }

  messages(field: number): ProtoMessage[] {
    return this.all(field).map((v) => {
      if (!(v instanceof Uint8Array)) throw new ModelFormatError(this.file, `field ${field} is not a message`);
      return ProtoMessage.decode(v, this.file);
    });
  }

  /** A repeated int64/int32 field, packed or not. */
  ints(field: number): number[] {
    const out: number[] = [];
    for (const v of this.all(field)) {
      if (typeof v === 'bigint') {
        out.push(Number(BigInt.asIntN(64, v)));
        continue;
      }
      if (!(v instanceof Uint8Array)) throw new ModelFormatError(this.file, `field ${field} is not an integer list`);
      let pos = 0;
      while (pos < v.length) {
        let result = 0n;
        let shift = 0n;
        for (;;) {
          if (pos >= v.length) throw new ModelFormatError(this.file, `packed varints of field ${field} are truncated`);
          const byte = v[pos++] as number;
          result |= BigInt(byte & 0x7f) << shift;
          if ((byte & 0x80) === 0) break;
          shift += 7n;
        }
        out.push(Number(BigInt.asIntN(64, result)));
      }
    }
    return out;
  }

  /** A repeated float field, packed or not. */
  floats(field: number): number[] {
    const out: number[] = [];
    for (const v of this.all(field)) {
      if (typeof v === 'object' && 'fixed32' in v) {
        out.push(v.fixed32);
        continue;
      }
      if (!(v instanceof Uint8Array) || v.length % 4 !== 0) throw new ModelFormatError(this.file, `field ${field} is not a float list`);
      const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
      for (let i = 0; i < v.length; i += 4) out.push(view.getFloat32(i, true));
    }
    return out;
  }

  /** A repeated double field (packed). */
  doubles(field: number): number[] {
    const out: number[] = [];
    for (const v of this.all(field)) {
      if (typeof v === 'object' && 'fixed64' in v) {
        out.push(v.fixed64.getFloat64(0, true));
        continue;
      }
      if (!(v instanceof Uint8Array) || v.length % 8 !== 0) throw new ModelFormatError(this.file, `field ${field} is not a double list`);
      const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
      for (let i = 0; i < v.length; i += 8) out.push(view.getFloat64(i, true));
    }
    return out;
  }
}

/** Writes protobuf messages field by field. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  private varint(value: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, message: ProtoWriter): this {
    return this.bytes(field, message.finish());
  }

  /** A packed repeated int64 field. */
  ints(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field. */
  floats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let pos = 0;
    for (const c of this.chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  }
}
