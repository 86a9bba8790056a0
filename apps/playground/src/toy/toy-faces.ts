/** Flattened grey-level images of the toy run with their identities. */
export interface ToyFaces {
  /** `count × size²` values, centred on 0. */
  readonly inputs: Float32Array;
  readonly labels: Int32Array;
  readonly size: number;
  readonly identities: number;
}

/**
 * Seeded toy faces: each identity is a smooth random pattern of soft blobs (eyes, mouth, face
 * outline stand-ins), each image the pattern shifted, lit and noised differently. Plain
 * TypeScript, so the same seed gives the same images on every browser. Stands in for
 * `createSyntheticFaces` of @arcface/data until that is exported.
 *
 * @example
 * const faces = createToyFaces({ identities: 8, imagesPerIdentity: 64, size: 16, seed: 1 });
 * faces.inputs.length; // 8 · 64 · 256
 */
export function createToyFaces(options: { identities: number; imagesPerIdentity: number; size: number; seed: number }): ToyFaces {
  const { identities, imagesPerIdentity, size, seed } = options;
  const random = mulberry32(seed);
  const count = identities * imagesPerIdentity;
  const inputs = new Float32Array(count * size * size);
  const labels = new Int32Array(count);
  for (let c = 0; c < identities; c += 1) {
    const blobs = Array.from({ length: 5 }, () => ({
      x: 0.2 + 0.6 * random(),
      y: 0.2 + 0.6 * random(),
      r: 0.08 + 0.15 * random(),
      a: random() < 0.5 ? -1 : 1,
    }));
    for (let k = 0; k < imagesPerIdentity; k += 1) {
      const index = c * imagesPerIdentity + k;
      labels[index] = c;
      const dx = (random() - 0.5) * 0.16;
      const dy = (random() - 0.5) * 0.16;
      const light = 0.7 + 0.6 * random();
      const base = index * size * size;
      for (let py = 0; py < size; py += 1) {
        for (let px = 0; px < size; px += 1) {
          const u = (px + 0.5) / size - dx;
          const v = (py + 0.5) / size - dy;
          let value = 0;
          for (const blob of blobs) {
            const d2 = ((u - blob.x) ** 2 + (v - blob.y) ** 2) / (blob.r * blob.r);
            value += blob.a * Math.exp(-d2);
          }
          inputs[base + py * size + px] = light * value + 0.35 * (random() - 0.5);
        }
      }
    }
  }
  return { inputs, labels, size, identities };
}

/** A small, fast, seedable generator (Mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
