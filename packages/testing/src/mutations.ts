/**
 * Seeded byte mutations of a valid file, for fuzzing readers: flipped bytes, overwritten runs,
 * truncation, inserted and deleted bytes, and (half the time) a mutation placed near the start or
 * the end, where headers, lengths and end markers live. The same seed gives the same files.
 */
export function mutatedFiles(source: Uint8Array, count: number, seed: number): Uint8Array[] {
  const random = mulberry32(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const out: Uint8Array[] = [];
  for (let c = 0; c < count; c++) {
    let bytes: Uint8Array = source.slice();
    const mutations = 1 + int(3);
    for (let m = 0; m < mutations; m++) {
      const len = bytes.length;
      const place = int(4);
      const at = len === 0 ? 0 : place === 0 ? int(Math.min(64, len)) : place === 1 ? Math.max(0, len - 1 - int(Math.min(64, len))) : int(len);
      const kind = int(5);
      if (kind === 0 && at < len) bytes[at] = int(256);
      else if (kind === 1) for (let k = 0, n = 1 + int(16); k < n && at + k < len; k++) bytes[at + k] = int(256);
      else if (kind === 2) bytes = bytes.slice(0, at);
      else if (kind === 3) bytes = concatBytes(bytes.subarray(0, at), Uint8Array.from({ length: 1 + int(8) }, () => int(256)), bytes.subarray(at));
      else bytes = concatBytes(bytes.subarray(0, at), bytes.subarray(at + 1 + int(8)));
    }
    out.push(bytes);
  }
  return out;
}

/** The bytes of `parts`, one after another, in a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
