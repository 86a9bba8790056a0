/**
 * Writes checkpoints of about 1 MB in a loop until killed; the atomic-write test kills it at
 * random moments and then reads what is left.
 */
import { fileCheckpointStore } from '../../node/file-checkpoint-store';

const dir = process.argv[2] ?? '';
const start = Number(process.argv[3] ?? 0);
const store = fileCheckpointStore(dir, { keep: 2 });
const data = new Float32Array(256 * 1024);
process.stdout.write('ready\n');
for (let step = start; ; step++) {
  data.fill(step);
  await store.save(step, { meta: { step }, arrays: [{ name: 'w', shape: [data.length], data }] });
}
