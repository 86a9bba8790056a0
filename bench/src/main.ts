/**
 * `pnpm bench`'s entry. The bench is an application and owns its process, like the `arcface`
 * command: on Node 20 it starts itself again with `--experimental-wasm-relaxed-simd`, so that
 * the native wasm kernels multiply-add with relaxed SIMD (fused on CPUs with FMA) as they do on
 * Node 22+ and in Chrome. Without it, Node 20 figures would time a slower build than users get.
 */
import { spawnSync } from 'node:child_process';
import { engineValidatesRelaxedSimd } from '@arcface/backend';

const FLAG = '--experimental-wasm-relaxed-simd';
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (!engineValidatesRelaxedSimd() && nodeMajor === 20 && !process.execArgv.includes(FLAG)) {
  const child = spawnSync(process.execPath, [...process.execArgv, FLAG, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
} else {
  await import('./run-bench');
}
