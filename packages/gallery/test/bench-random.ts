// The gallery benchmark on synthetic vectors, no model: 20 identities × 5 vectors (a random
// centre plus noise of norm 0.8, 128-d), one enrolled per identity and four probes, among N
// random unit distractors, in PGlite. Figures in docs/benchmarks.md:
//
//   node --conditions=@arcface/source --import tsx packages/gallery/test/bench-random.ts 10000 [efSearch]
import { benchGallery, openGallery, randomUnitVectors } from '../src/index';
import { clusteredFaces } from './vectors';

const distractors = Number(process.argv[2] ?? 10_000);
const efSearch = Number(process.argv[3] ?? 100);
const faces = clusteredFaces(20, 5, 128, 3, 0.8);
const gallery = await openGallery({ model: { fingerprint: 'random', dimension: 128 }, index: false });
const result = await benchGallery(gallery, {
  enrolled: faces.filter((_, i) => i % 5 === 0),
  probes: faces.filter((_, i) => i % 5 !== 0),
  distractors: randomUnitVectors(distractors, 128, 1),
  distractorSource: 'random unit vectors',
  efSearch,
});
console.log(JSON.stringify({ distractors, efSearch, rank1: result.rank1, recall: result.recall, timings: result.timings }));
await gallery.close();
