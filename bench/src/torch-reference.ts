import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './options';

export interface TorchResult {
  readonly workload: string;
  readonly classes?: number;
  readonly network?: string;
  /** 'folded': inference with BatchNorm folded into the convolutions (torch.fx fusion). */
  readonly variant?: string;
  readonly ms: number;
}

export interface TorchRun {
  readonly info?: Record<string, unknown>;
  readonly results: readonly TorchResult[];
  /** Why there is no reference, when there is none. */
  readonly skipped?: string;
}

const SCRIPT = fileURLToPath(new URL('../torch_reference.py', import.meta.url));

/** Runs bench/torch_reference.py with the same shapes; a missing python or torch is reported, not thrown. */
export function runTorchReference(options: BenchOptions): TorchRun {
  if (options.torch === undefined) return { results: [], skipped: 'PyTorch reference turned off (--torch none)' };
  const probe = spawnSync(options.torch, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    return {
      results: [],
      skipped: `PyTorch is not available at ${options.torch} (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}); on Debian: apt-get install python3-torch libopenblas0-pthread`,
    };
  }
  const args = [
    SCRIPT,
    '--device', options.torchDevice,
    '--classes', options.classes.join(','),
    '--batch', String(options.batch),
    '--side', String(options.side),
    '--reps', String(options.reps),
    '--train-reps', String(options.trainReps),
    '--workloads', options.workloads.join(','),
  ];
  const run = spawnSync(options.torch, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) return { results: [], skipped: `the PyTorch reference failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}` };
  const last = run.stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as TorchRun;
}
