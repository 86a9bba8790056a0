/**
 * Relaxed SIMD for the `arcface` command. `@arcface/backend`'s native kernels multiply-add with
 * `f32x4.relaxed_madd` (fused on CPUs with FMA, about 1.5× the plain build's GFLOP/s) where the
 * engine validates relaxed SIMD: Node 22 and later do; Node 20 only when started with
 * `--experimental-wasm-relaxed-simd`. A library must not set V8 flags, but the command owns its
 * process: on Node 20 it starts itself again with the flag.
 */

export const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';
/** Set in the restarted process, so that it never restarts again. */
export const RELAUNCHED = 'ARCFACE_RELAXED_SIMD_RELAUNCHED';

/** (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd) */
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

/** Whether this engine validates relaxed SIMD as it runs now. */
export function validatesRelaxedSimd(): boolean {
  return WebAssembly.validate(PROBE);
}

/**
 * The arguments to start this process again with relaxed SIMD, or undefined where it has it
 * already, was restarted once, or runs a Node whose V8 has no such flag (only Node 20 needs it).
 */
export function relaunchArguments(
  runtime: { execArgv: readonly string[]; argv: readonly string[]; env: Record<string, string | undefined>; nodeMajor: number } = {
    execArgv: process.execArgv,
    argv: process.argv,
    env: process.env,
    nodeMajor: Number(process.versions.node.split('.')[0]),
  },
): string[] | undefined {
  if (validatesRelaxedSimd() || runtime.env[RELAUNCHED] === '1' || runtime.execArgv.includes(RELAXED_SIMD_FLAG) || runtime.nodeMajor !== 20) return undefined;
  return [...runtime.execArgv, RELAXED_SIMD_FLAG, ...runtime.argv.slice(1)];
}
