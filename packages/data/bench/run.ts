/** `pnpm --filter @arcface/data bench`: RecordIO records/s, decode+resize images/s, synthetic images/s. */
import { cpus, loadavg } from 'node:os';
import { benchDecode } from './decode';
import { benchRecordIO } from './recordio';
import { benchSynthetic } from './synthetic';

console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()[0]?.toFixed(1)}`);
const synthetic = benchSynthetic(1000);
console.log(`synthetic faces 112x112: 1000 images in ${synthetic.seconds.toFixed(2)} s wall, ${synthetic.cpuSeconds.toFixed(2)} s CPU (${synthetic.perSecond.toFixed(0)} images/s)`);
const rec = await benchRecordIO(20_000);
console.log(
  `RecordIO (${rec.records} JPEG records of ~${rec.avgBytes?.toFixed(0)} B): write ${rec.writePerSecond?.toFixed(0)}/s, read by key ${rec.readByKeyPerSecond?.toFixed(0)}/s, stream ${rec.streamPerSecond?.toFixed(0)}/s`,
);
const decode = await benchDecode(2000);
console.log(`decode + resize 250x250 JPEG -> 112x112 (sharp, ${decode.sharpThreads} threads): ${decode.perSecond?.toFixed(0)} images/s`);
