// The contrib margins on the trainer's synthetic-face experiment: the same tiny CNN trained with
// each margin and with softmax-normalized, evaluated by 10-fold verification on held-out
// identities. Reuses the trainer's demo runner; run from the repository root:
//
//   node --conditions=@arcface/source --import tsx packages/cli/src/experiments/contrib-comparison.ts [--quick] [--steps N]
//
// It prints one line per margin and a JSON summary. Not part of the package or its tests.
import { demoSettings } from '../demo/demo-settings';
import { runDemo } from '../demo/run-demo';
import { setUpBackend } from '../cli/backend-setup';
import { registerContribMargins } from '@arcface/margins-contrib';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const stepsFlag = args.indexOf('--steps');
const backendFlag = args.indexOf('--backend');
const base = demoSettings({ quick });
const s = 16; // the demo's scale for every margin (few classes, small network)
const settings = {
  ...base,
  steps: stepsFlag >= 0 ? Number(args[stepsFlag + 1]) : base.steps,
  toy: { ...base.toy, enabled: false },
  margins: [
    { label: 'Norm-Softmax', name: 'softmax-normalized', options: { s } },
    { label: 'AdaFace', name: 'adaface', options: { s } },
    { label: 'CurricularFace', name: 'curricularface', options: { s } },
    // The tiny CNN's 64-d BN-headed embeddings have norms near 8: MagFace's [10, 110] would clip
    // every norm to l_a; the norm band is scaled to where these features live.
    { label: 'MagFace', name: 'magface', options: { s, lowerNorm: 4, upperNorm: 40 } },
    { label: 'ElasticFace-Arc', name: 'elasticface', options: { s } },
    { label: 'ElasticFace-Cos', name: 'elasticface', options: { s, variant: 'cos' } },
  ],
};

registerContribMargins();
const { backend, note } = await setUpBackend(backendFlag >= 0 ? (args[backendFlag + 1] as string) : 'auto', false, console.log);
console.log(`backend ${backend} (${note}); ${settings.steps} steps per margin`);
const report = await runDemo({
  settings,
  backend,
  command: `contrib-comparison ${args.join(' ')}`,
  progress: { start() {}, update() {}, stop() {}, log: (line) => console.log(line) },
});
const rows = report.runs.map((m) => ({
  label: m.label,
  accuracy: m.verification.accuracy.mean,
  std: m.verification.accuracy.std,
  finalLoss: m.training.loss.at(-1)?.loss,
  seconds: m.training.durationMs / 1000,
}));
console.log(JSON.stringify({ backend, steps: settings.steps, rows }, null, 2));
