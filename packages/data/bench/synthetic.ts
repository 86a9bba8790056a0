import { createSyntheticFaces } from '../src/synthetic/synthetic-faces';

/** Renders `count` synthetic faces of 112×112 (no cache) and reports images per second. */
export function benchSynthetic(count = 1000, size = 112): { images: number; seconds: number; perSecond: number; cpuSeconds: number } {
  const faces = createSyntheticFaces({ identities: Math.ceil(count / 10), imagesPerIdentity: 10, size, seed: 1, cacheSize: 0 });
  faces.image(0); // warm-up (JIT)
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) faces.image(i);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { images: count, seconds, perSecond: count / seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

if (process.argv[1]?.endsWith('synthetic.ts')) {
  const count = Number(process.argv[2] ?? 1000);
  const r = benchSynthetic(count);
  console.log(`synthetic faces 112x112: ${r.images} images in ${r.seconds.toFixed(2)} s wall (${r.cpuSeconds.toFixed(2)} s CPU) = ${r.perSecond.toFixed(0)} images/s`);
}
