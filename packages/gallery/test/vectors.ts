// Seeded test data: identities as clusters on the sphere, and float64 reference search.
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(random: () => number, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return v;
}

export function normalise(v: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(v);
  const norm = Math.hypot(...out);
  return out.map((x) => x / norm);
}

/** `identities` × `perIdentity` embeddings: a random centre per identity plus noise of size `spread`. */
export function clusteredFaces(identities: number, perIdentity: number, dimension: number, seed: number, spread = 0.6) {
  const random = rng(seed);
  const faces: { identity: string; embedding: Float32Array }[] = [];
  for (let c = 0; c < identities; c++) {
    const centre = normalise(gaussian(random, dimension));
    for (let j = 0; j < perIdentity; j++) {
      const noise = normalise(gaussian(random, dimension));
      faces.push({ identity: `person-${String(c).padStart(3, '0')}`, embedding: Float32Array.from(centre, (x, i) => x + spread * (noise[i] as number)) });
    }
  }
  return faces;
}

/** Exact top-k identities by max cosine, in float64: what `identify({ exact: true })` must return. */
export function referenceIdentify(gallery: readonly { identity: string; embedding: ArrayLike<number> }[], probe: ArrayLike<number>, k: number) {
  // The database holds float32 unit vectors, so the reference rounds the same way before the dot.
  const toStored = (v: ArrayLike<number>) => Float64Array.from(Float32Array.from(normalise(v)));
  const p = toStored(probe);
  const best = new Map<string, number>();
  for (const face of gallery) {
    const e = toStored(face.embedding);
    let s = 0;
    for (let i = 0; i < p.length; i++) s += (p[i] as number) * (e[i] as number);
    if (!best.has(face.identity) || s > best.get(face.identity)!) best.set(face.identity, s);
  }
  return [...best.entries()]
    .map(([identity, score]) => ({ identity, score }))
    .sort((a, b) => b.score - a.score || a.identity.localeCompare(b.identity))
    .slice(0, k);
}
