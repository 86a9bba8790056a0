/**
 * A training process the resume tests kill with SIGKILL: trains the small run with a
 * checkpoint after every step and prints "step N" after each. Arguments: backend, checkpoint
 * folder, accumulation steps, head type.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { fileCheckpointStore } from '../../node/file-checkpoint-store';
import { createTrainer } from '../create-trainer';
import { smallRunConfig } from './small-run';

const [backend = 'cpu', dir = '', accumulation = '1', head = 'full'] = process.argv.slice(2);
await tf.setBackend(backend);
await tf.ready();
const trainer = createTrainer(
  smallRunConfig({
    accumulationSteps: Number(accumulation),
    head: head === 'partial-fc' ? { type: 'partial-fc', sampleRate: 0.5 } : { type: 'full' },
    checkpoint: { store: fileCheckpointStore(dir, { keep: 2 }), every: 1 },
    onEvent: (event) => {
      if (event.type === 'checkpoint') process.stdout.write(`step ${event.step}\n`);
    },
  }),
);
// Slow the run down a little so the parent can kill it mid-way.
while (trainer.step < 8) {
  await trainer.train({ untilStep: trainer.step + 1 });
  await new Promise((resolve) => setTimeout(resolve, 50));
}
