import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels, selectBackend, describeBackendSelection, type BackendName, type ModuleImporter } from '@arcface/backend';
import { flagValue, parseOptions, type BenchOptions } from './options';
import { profileTrainStep } from './profile-train-step';
import type { ProfileSummary } from './profile-report';
import { attachRatios, combineRounds, markdownTable, replaceSection, type Round, type Row } from './report';
import { runTorchReference, type TorchRun } from './torch-reference';
import { inference, marginHead, trainStep, type Measurement } from './workloads';
import { IMPORTED_NETWORKS, importedInference } from './onnx-inference';
import { compareTrainingPaths, compiledTable, compiledTrainStep, type StepPathFigures } from './compiled-step';

// The literal specifiers let a bundler include the optional engines (the GPU run ships one file).
const importer: ModuleImporter = async (specifier) => {
  switch (specifier) {
    case '@tensorflow/tfjs-backend-wasm':
      return import('@tensorflow/tfjs-backend-wasm');
    case '@tensorflow/tfjs-backend-cpu':
      return import('@tensorflow/tfjs-backend-cpu');
    case '@tensorflow/tfjs-backend-webgpu':
      return import('@tensorflow/tfjs-backend-webgpu');
    case 'webgpu':
      return import('webgpu');
    default:
      return import(/* @vite-ignore */ specifier);
  }
};

const REPO_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');

/** Collects one backend's measurements, logging each; a failure becomes a row saying so. */
function recorder(backend: string, log: (line: string) => void) {
  const out: Measurement[] = [];
  const skip = (workload: Measurement['workload'], detail: string, note: string) => out.push({ workload, backend, detail, note });
  const attempt = async (what: string, fn: () => Promise<Measurement>, workload: Measurement['workload'], detail: string) => {
    log(`  ${backend}: ${what} …`);
    try {
      const m = await fn();
      log(`  ${backend}: ${what}: ${m.ms?.toFixed(1)} ms`);
      out.push(m);
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 160);
      log(`  ${backend}: ${what} failed: ${message}`);
      skip(workload, detail, `failed: ${message}`);
    }
  };
  return { out, skip, attempt };
}

/** One round of margin heads on `backend`. */
async function measureHeads(backend: string, options: BenchOptions, log: (line: string) => void): Promise<Measurement[]> {
  const { out, skip, attempt } = recorder(backend, log);
  for (const classes of options.classes) {
    const detail = `B=256 D=512 C=${classes}`;
    if (backend === 'cpu' && !options.cpuAll && classes > 10_000) skip('margin-head', detail, 'skipped on cpu (pure JS; --cpu-all runs it)');
    else await attempt(`margin head C=${classes}`, () => marginHead(backend, classes, options.reps), 'margin-head', detail);
  }
  return out;
}

/** The head on the stock wasm kernels (what the kernel fixes are worth), training steps and inference. */
async function measureRest(backend: string, options: BenchOptions, log: (line: string) => void): Promise<Measurement[]> {
  const { out, skip, attempt } = recorder(backend, log);
  const heavyOnCpu = backend === 'cpu' && !options.cpuAll;
  if (options.workloads.includes('head') && backend === 'wasm' && options.classes.includes(10_000)) {
    const kernels = registerWasmTrainingKernels();
    kernels.unregister();
    await attempt('margin head C=10000 (stock kernels)', () => marginHead(backend, 10_000, 1, ', stock wasm kernels'), 'margin-head', 'C=10000 stock');
    registerWasmTrainingKernels();
  }
  for (const network of options.networks) {
    const detail = `${network} ${options.side}×${options.side} B=${options.batch}`;
    if (options.workloads.includes('train')) {
      if (heavyOnCpu) skip('train-step', detail, 'skipped on cpu (pure JS: minutes per step; --cpu-all runs it)');
      else if (!options.trainNetworks.includes(network)) skip('train-step', detail, 'not run (--train-networks)');
      else {
        const checkpoints = options.checkpoints === 'auto' ? (backend === 'wasm' ? 'default' : 'none') : options.checkpoints;
        await attempt(`train step ${network}`, () => trainStep(backend, network, options.batch, options.side, options.trainReps, checkpoints), 'train-step', detail);
        if (backend === 'webgpu') {
          await attempt(`train step ${network} (compiled)`, () => compiledTrainStep(backend, network, options.batch, options.side, options.trainReps), 'train-step', `${detail}, compiled`);
        }
      }
    }
    if (options.workloads.includes('infer')) {
      if (heavyOnCpu) skip('inference', detail, 'skipped on cpu (pure JS; --cpu-all runs it)');
      else {
        await attempt(`inference ${network}`, () => inference(backend, network, options.batch, options.side, options.reps), 'inference', detail);
        await attempt(`inference ${network} (compiled)`, () => inference(backend, network, options.batch, options.side, options.reps, true), 'inference', `${detail}, compiled`);
      }
    }
  }
  if (options.workloads.includes('onnx')) {
    for (const network of IMPORTED_NETWORKS) {
      const detail = `${network} imported ${options.side}×${options.side} B=${options.batch}`;
      if (heavyOnCpu) skip('imported-inference', detail, 'skipped on cpu (pure JS; --cpu-all runs it)');
      else await attempt(`imported ${network} vs onnxruntime`, () => importedInference(backend, network, options.batch, options.side, options.reps), 'imported-inference', detail);
    }
  }
  return out;
}

/** Chooses `backend` as selectBackend would, with the run's kernel and flag choices; undefined when unavailable. */
async function activate(backend: string, options: BenchOptions, log: (line: string) => void): Promise<{ reason: string } | { failure: string }> {
  const select = (dawnFlags: readonly string[]) =>
    selectBackend({ candidates: [backend as BackendName], importer, webgpuTrainingKernels: options.webgpuKernels === 'ours', dawnFlags });
  try {
    let selection;
    try {
      selection = await select(options.dawnFlags);
    } catch (error) {
      // Dawn options are a convenience (GPU timestamps): without them the run still counts.
      if (options.dawnFlags.length === 0 || backend !== 'webgpu') throw error;
      log(`webgpu with Dawn options ${options.dawnFlags.join(' ')} failed; again without them`);
      selection = await select([]);
    }
    log(describeBackendSelection(selection));
    for (const [name, value] of options.flags) {
      tf.env().set(name, flagValue(value));
      log(`  flag ${name} = ${String(tf.env().get(name))}`);
    }
    return { reason: selection.candidates[0]?.reason ?? '' };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log(reason);
    return { failure: reason.split('\n').slice(2).join(' ').trim() };
  }
}

/** `--profile`: one profiled training step per network and backend; text to stdout, summaries to --json. */
async function profileMain(options: BenchOptions, log: (line: string) => void): Promise<void> {
  const summaries: ProfileSummary[] = [];
  for (const backend of options.backends) {
    if ('failure' in (await activate(backend, options, log))) continue;
    const settings = [`webgpu kernels: ${options.webgpuKernels}`, ...options.flags.map(([n]) => `${n}=${String(tf.env().get(n))}`)].join(', ');
    log(`\n# Profile: ${tf.getBackend()} (${settings}), tfjs ${tf.version_core}\n`);
    for (const network of options.networks) {
      try {
        summaries.push(await profileTrainStep(network, options.batch, options.side, options.trainReps, options.profileTop, log));
      } catch (error) {
        log(`  ${network}: profile failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      }
      log('');
    }
  }
  if (options.json !== undefined) {
    const path = resolve(REPO_ROOT, options.json);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify({ options, summaries }, null, 2)}\n`);
    log(`wrote ${path}`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string) => console.log(line);
  // tfjs-layers registers the gradients of every op the backbones use.
  await import('@tensorflow/tfjs-layers');
  if (options.profile) {
    await profileMain(options, log);
    return;
  }
  if (options.workloads.includes('compiled')) {
    await compiledMain(options, log);
    return;
  }

  const heads = options.workloads.includes('head');
  // 'onnx' compares with onnxruntime-node in this process; PyTorch has nothing to time for it.
  const others = options.workloads.filter((w) => w !== 'head' && w !== 'onnx');
  const reference = (workloads: readonly string[]) => runTorchReference({ ...options, workloads });
  let torch: TorchRun = { results: [] };
  if (others.length > 0) {
    log(`PyTorch reference (${others.join(', ')}) …`);
    torch = reference(others);
    log(torch.skipped ?? `PyTorch ${JSON.stringify(torch.info)}: ${torch.results.length} timings`);
  }

  const rows: Row[] = [];
  const selections: string[] = [];
  for (const backend of options.backends) {
    const activation = await activate(backend, options, log);
    if ('failure' in activation) {
      selections.push(`- ${backend}: not available — ${activation.failure}`);
      continue;
    }
    selections.push(`- ${backend}: ${activation.reason}${backend === 'webgpu' ? ` (filter-gradient kernels: ${options.webgpuKernels})` : ''}${options.flags.length > 0 ? `; flags ${options.flags.map(([n, v]) => `${n}=${v}`).join(', ')}` : ''}`);
    if (heads) {
      // Each round: PyTorch's heads, then this backend's, back to back.
      const rounds: Round[] = [];
      for (let round = 1; round <= options.headRounds; round++) {
        log(`margin head, round ${round} of ${options.headRounds}: PyTorch …`);
        const headTorch = reference(['head']);
        log(headTorch.skipped ?? `  PyTorch: ${headTorch.results.map((r) => `C=${String(r.classes)} ${r.ms.toFixed(1)} ms`).join(', ')}`);
        if (torch.info === undefined && headTorch.info !== undefined) torch = { ...torch, info: headTorch.info };
        if (headTorch.skipped !== undefined) torch = { ...torch, skipped: headTorch.skipped };
        rounds.push({ measurements: await measureHeads(tf.getBackend(), options, log), torch: headTorch });
      }
      rows.push(...combineRounds(rounds));
    }
    rows.push(...attachRatios(await measureRest(tf.getBackend(), options, log), torch));
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const torchInfo = torch.info === undefined ? 'PyTorch: not run' : `PyTorch ${String(torch.info.version)} on ${String(torch.info.device)}${torch.info.gpu === undefined ? '' : ` (${typeof torch.info.gpu === 'string' ? torch.info.gpu : JSON.stringify(torch.info.gpu)})`}, ${String(torch.info.threads)} threads`;
  const environment = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} × ${cpu}, Node ${process.version}, tfjs ${tf.version_core}. ${torchInfo}.`,
    `Median of ${options.reps} runs (training: ${options.trainReps}) after one warm-up (margin head: three). Ratio = tfjs time ÷ PyTorch time for the same work in the same run (lower is better); imported-inference: ÷ onnxruntime-node's time on the same ONNX file, same run.`,
    ...(heads
      ? [
          `Margin head: ${options.headRounds} round${options.headRounds === 1 ? '' : 's'}, each PyTorch then tfjs back to back (this machine's speed drifts by up to 1.5× from minute to minute); times are medians over the rounds, the ratio is the median of the rounds' own ratios (listed).`,
        ]
      : []),
    '',
    ...selections,
  ].join('\n');
  const table = markdownTable(rows, torch, options.title, environment);
  console.log(`\n${table}\n`);

  if (options.json !== undefined) {
    const path = resolve(REPO_ROOT, options.json);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify({ options, torch, rows }, null, 2)}\n`);
    log(`wrote ${path}`);
  }
  if (options.markdown !== undefined) {
    const path = resolve(REPO_ROOT, options.markdown);
    const before = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, replaceSection(before, options.section, table));
    log(`wrote ${path}`);
  }
}

/**
 * `--workloads compiled`: the trainer's step on webgpu, eager against compiled (dispatches,
 * submissions, buffers created, host and wall milliseconds per step), for the training networks.
 */
async function compiledMain(options: BenchOptions, log: (line: string) => void): Promise<void> {
  const activation = await activate('webgpu', options, log);
  if ('failure' in activation) throw new Error(`webgpu is not available: ${activation.failure}`);
  const adapter = describeAdapter();
  const rows: StepPathFigures[] = [];
  for (const network of options.trainNetworks) rows.push(...(await compareTrainingPaths(network, options.batch, options.side, options.trainReps, log, false, options.paths)));
  log(`on ${adapter}: ${JSON.stringify(rows)}`);
  // Host time: the same steps on Dawn's null device, which accepts every call and runs nothing,
  // so a step's wall time there is its host work alone (on llvmpipe the "GPU" shares the CPU).
  // The null device caps memory at 512 MB, hence its own (small) batch; per-step host work
  // hardly depends on the batch (the same kernels), except the images' upload.
  const hostRows: StepPathFigures[] = [];
  if (options.hostBatch > 0) {
    await useNullWebgpuDevice();
    for (const network of options.trainNetworks) {
      hostRows.push(...(await compareTrainingPaths(network, options.hostBatch, options.side, Math.max(3, options.trainReps), log, true)));
    }
  }
  const heading = [
    `### ${options.title}`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${adapter}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; ${options.side}×${options.side}, batch ${options.batch}, mean of ${options.trainReps} step${options.trainReps === 1 ? '' : 's'} after one warm-up step (which compiles). Counts are of the device calls made (wrapped device methods). Host ms: the same steps on Dawn's null device at batch ${options.hostBatch} (mean of ${Math.max(3, options.trainReps)} steps), which accepts every call and runs nothing, so its wall time is the step's host work alone (JavaScript, validation, encoding).`,
  ].join('\n');
  const table = compiledTable(rows, hostRows, heading);
  console.log(`\n${table}\n`);
  if (options.json !== undefined) {
    const path = resolve(REPO_ROOT, options.json);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify({ options, rows, hostRows }, null, 2)}\n`);
  }
  if (options.markdown !== undefined) {
    const path = resolve(REPO_ROOT, options.markdown);
    const before = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
    writeFileSync(path, replaceSection(before, `compiled-${options.section}`, table));
    log(`wrote ${path}`);
  }
}

let nullInstance: unknown;

/** Makes tfjs' 'webgpu' backend one on Dawn's null device (kernel registrations stay). */
async function useNullWebgpuDevice(): Promise<void> {
  type Instance = { requestAdapter(): Promise<{ requestDevice(): Promise<unknown> } | null> };
  const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): Instance };
  // Kept for the process's life: Dawn aborts when an instance whose devices are in use is collected.
  nullInstance = dawn.create(['backend=null']);
  const adapter = await (nullInstance as Instance).requestAdapter();
  if (adapter === null) throw new Error("Dawn's null backend is not available");
  const device = await adapter.requestDevice();
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device as ConstructorParameters<typeof WebGPUBackend>[0]));
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs did not start on the null device');
}

/** The WebGPU adapter tfjs runs on, as its backend reports it. */
function describeAdapter(): string {
  const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
  return info === undefined ? 'an unknown WebGPU adapter' : `WebGPU adapter ${info.vendor ?? '?'} / ${info.architecture ?? '?'}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
