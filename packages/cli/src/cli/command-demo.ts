import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

import { createMargin } from '@arcface/margins';

import { demoSettings } from '../demo/demo-settings';
import { runDemo, type DemoProgress } from '../demo/run-demo';
import { headline } from '../report/report-tables';
import { writeReport } from '../report/write-report';
import { positive } from './command-train';
import { DEMO_WORKER_ARG } from './demo-worker-arg';

export interface DemoCommandOptions {
  readonly quick?: boolean;
  readonly data?: string;
  readonly out: string;
  readonly steps?: string;
  readonly seeds?: string;
  readonly workers?: string;
  readonly seed: string;
  readonly backbone?: string;
  readonly toy: boolean;
}

/**
 * `arcface demo`: trains the same backbone with every margin, evaluates each on held-out
 * identities, runs the toy experiment and writes the report folder.
 */
export async function demoCommand(options: DemoCommandOptions, backend: { backend: string; note: string }, command: string, progress: DemoProgress): Promise<string> {
  // The pure-JS cpu backend takes about a minute per convolutional training step: use the
  // dense network there, so the demo still finishes.
  const backbone = options.backbone ?? (backend.backend === 'cpu' ? 'mlp' : 'tiny-cnn');
  const base = demoSettings({ quick: options.quick === true, backbone, seed: Number(options.seed), data: options.data !== undefined });
  const first = base.seeds[0] as number;
  const settings = {
    ...base,
    ...(options.steps === undefined ? {} : { steps: positive('steps', options.steps) }),
    ...(options.seeds === undefined ? {} : { seeds: Array.from({ length: positive('seeds', options.seeds) }, (_, i) => first + i) }),
    toy: { ...base.toy, enabled: options.toy },
  };
  const report = await runDemo({
    settings,
    ...(options.data === undefined ? {} : { data: options.data }),
    backend: backend.backend,
    backendNote: backend.note,
    command,
    progress,
    // Worker processes run this same entry; one per core, at most two (the machines this demo
    // targets have two), and none for the smoke test unless asked.
    workers: {
      count: options.workers === undefined ? (settings.quick ? 1 : Math.min(2, availableParallelism())) : positive('workers', options.workers),
      entry: process.argv[1] as string,
      args: [DEMO_WORKER_ARG],
    },
  });
  const out = resolve(options.out);
  progress.log('writing the report…');
  await writeReport(out, report, { resolveMargin: (spec) => createMargin(spec.name, spec.options) });
  const head = headline(report);
  if (head !== undefined) progress.log(head);
  progress.log(`report: ${out}/index.html (also report.md, report.json, plots/)`);
  return out;
}
