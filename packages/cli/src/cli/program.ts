import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';

import type { DemoCommandOptions } from './command-demo';
import type { EmbedCommandOptions } from './command-embed';
import type { EvalCommandOptions } from './command-eval';
import type { ExportCommandOptions } from './command-export';
import type { ImportCommandOptions } from './command-import';
import type { GalleryBenchCommandOptions } from './command-gallery-bench';
import type { GalleryEnrollOptions } from './command-gallery-enroll';
import type { GalleryIdentifyOptions } from './command-gallery-identify';
import type { PlotMarginsOptions } from './command-plot';
import type { TrainCommandOptions } from './command-train';
import { applyConfigFile } from './config-file';
import { createProgressBar } from './progress-bar';
import { validatesRelaxedSimd } from './relaxed-simd';

/** `arcface --version`: the package's version, Node's, and whether the native kernels get relaxed SIMD. */
function versionText(): string {
  const { version } = createRequire(import.meta.url)('@arcface/cli/package.json') as { version: string };
  return `${version} (Node ${process.versions.node}; WebAssembly relaxed SIMD: ${validatesRelaxedSimd() ? 'yes' : 'no'})`;
}

// Commands load tfjs, the backbones and Vega on first use (dynamic imports), so `--help` and
// usage errors answer at once.
const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

async function setUpBackend(choice: string, verbose: boolean, log: (line: string) => void): Promise<{ backend: string; note: string }> {
  const { setUpBackend: setUp } = await import('./backend-setup');
  return setUp(choice, verbose, log);
}

/** Where the CLI writes; tests and embedders pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function withCommonOptions(command: Command): Command {
  return command
    .option('--config <file.json>', 'read options from a JSON file (flags given on the command line win)')
    .option('--verbose', 'print stack traces and backend details', false)
    .option('--plugin <module>', 'a module that registers margins (package name or file; repeatable); @arcface/margins-contrib is always loaded', collect, []);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function backendOption(): Option {
  return new Option('--backend <name>', 'tfjs backend').choices([...BACKEND_CHOICES]).default('auto');
}

/** Builds the `arcface` program. Actions run through `runCli`, which maps errors to exit codes. */
export function buildProgram(io: CliIo = defaultIo): Command {
  const program = new Command('arcface')
    .description('Train and evaluate face embeddings with margin softmax losses (ArcFace, CosFace, SphereFace) on TensorFlow.js')
    .version(versionText(), '-V, --version', 'print the version, the Node version and whether WebAssembly relaxed SIMD is on')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  const log = (line: string): void => io.stderr(`${line}\n`);
  const preAction = async (_: Command, action: Command): Promise<void> => {
    const config = action.getOptionValue('config') as string | undefined;
    if (config !== undefined) await applyConfigFile(action, config);
    const { loadMarginPlugins } = await import('./plugins');
    await loadMarginPlugins((action.getOptionValue('plugin') as string[] | undefined) ?? []);
  };
  program.hook('preAction', preAction);

  withCommonOptions(
    program
      .command('demo')
      .description('train the same backbone with ArcFace, CosFace, SphereFace, combined and normalised softmax, evaluate each on held-out identities, run the toy experiment, write a report')
      .option('--quick', 'a smoke test: every part runs on one seed for a few steps; it makes no claim (CI)', false)
      .option('--data <folder>', 'real faces (<folder>/<identity>/<image>, e.g. ORL) instead of the embedded synthetic faces; uses the real-faces recipe (48×48, crop and colour augmentation, 300 steps, 3 seeds)')
      .option('--out <dir>', 'report folder', 'arcface-report')
      .option('--steps <n>', 'training steps per margin and seed (default: the recipe\'s; synthetic 300, real faces 300, --quick 10)')
      .option('--seeds <n>', 'how many seeds (seed, seed+1, …) each margin is trained on (default: synthetic 6, real faces 3, --quick 1)')
      .option('--backbone <name>', 'backbone (default tiny-cnn; mlp on the cpu backend)')
      .option('--seed <n>', 'first seed of data, initial weights and order', '1')
      .option('--workers <n>', 'processes that train the (seed, margin) runs side by side (default: min(2, cores); --quick: 1)')
      .option('--no-toy', 'skip the 2-D toy experiment')
      .addOption(backendOption()),
  ).action(async (options: DemoCommandOptions & { backend: string; verbose: boolean }) => {
    const backend = await setUpBackend(options.backend, options.verbose, log);
    const { demoCommand } = await import('./command-demo');
    await demoCommand(options, backend, `arcface ${process.argv.slice(2).join(' ')}`.trim(), createProgressBar());
  });

  withCommonOptions(
    program
      .command('train')
      .description('train a backbone with a margin on an image folder or a RecordIO .rec; writes checkpoints and the model to --out')
      .requiredOption('--data <folder|file.rec>', 'training images: <folder>/<identity>/<image>, or insightface train.rec (+ .idx)')
      .option('--margin <name>', 'margin name: additive-angular, additive-cosine, multiplicative-angular, combined, softmax-normalized, adaface, curricularface, magface, … (or one a --plugin registers)', 'additive-angular')
      .option('--margin-options <json>', 'margin options as JSON, e.g. \'{"m": 0.5, "s": 32}\'')
      .option('--backbone <name>', 'backbone: tiny-cnn, mlp, mobilefacenet, iresnet18, …', 'tiny-cnn')
      .option('--backbone-options <json>', 'extra backbone options as JSON')
      .option('--image-size <n>', 'input side in pixels', '32')
      .option('--embedding-size <n>', 'embedding width', '64')
      .option('--steps <n>', 'optimiser steps (default: from --epochs)')
      .option('--epochs <n>', 'passes over the data, when --steps is not given', '1')
      .option('--batch-size <n>', 'images per step', '64')
      .option('--lr <x>', 'peak learning rate (warm-up, then polynomial decay)', '0.1')
      .option('--seed <n>', 'seed', '1')
      .option('--augment <json>', 'augmentation as JSON: flip probability, random resized crop, brightness and contrast jitter, e.g. \'{"flip": 0.5, "crop": {"scale": [0.8, 1]}, "brightness": 0.2, "contrast": 0.2}\'', '{"flip": 0.5}')
      .requiredOption('--out <dir>', 'run folder: checkpoints/ and the final model')
      .option('--resume', 'continue from the newest checkpoint in <out>/checkpoints', false)
      .option('--init <model dir>', 'start from the weights of a model folder (arcface import or train); a new head for the identities in --data; --backbone, --image-size and --embedding-size come from the folder')
      .option('--gradient-checkpoints <auto|none|blocks|n>', 'gradient checkpoints: recompute activations in the backward pass to save memory (auto: on wasm for large batches)', 'auto')
      .addOption(
        new Option('--on-bad-image <policy>', 'unreadable images, found by a check of every image before training: stop (list them all and exit 1) or skip (train on the rest, list them in <out>/skipped-images.txt)')
          .choices(['stop', 'skip'])
          .default('stop'),
      )
      .addOption(backendOption()),
  ).action(async (options: TrainCommandOptions & { backend: string; verbose: boolean }) => {
    await setUpBackend(options.backend, options.verbose, log);
    const { trainCommand } = await import('./command-train');
    await trainCommand(options, createProgressBar());
  });

  withCommonOptions(
    program
      .command('eval')
      .description('verification accuracy (insightface protocol: flip-sum, 10 folds), TAR@FAR and ROC AUC of a trained model')
      .requiredOption('--model <dir>', 'a folder written by arcface train')
      .option('--data <folder>', 'face folder; balanced pairs are drawn unless --pairs is given')
      .option('--pairs <pairs.txt>', 'LFW-style pairs naming images under --data')
      .option('--bin <file.bin>', 'an insightface verification .bin (lfw.bin, cfp_fp.bin, …)')
      .option('--far <x>', 'false accept rate of the reported TAR', '0.001')
      .option('--folds <n>', 'folds', '10')
      .option('--seed <n>', 'seed of drawn pairs', '1')
      .option('--json', 'print the full result as JSON', false)
      .addOption(backendOption()),
  ).action(async (options: EvalCommandOptions & { backend: string; verbose: boolean }) => {
    await setUpBackend(options.backend, options.verbose, log);
    const { evalCommand } = await import('./command-eval');
    await evalCommand(options, io.stdout, log);
  });

  withCommonOptions(
    program
      .command('embed')
      .description('unit-length embeddings of images, as JSON on stdout or a .npy file')
      .argument('<images...>', 'image files (JPEG, PNG, GIF, WebP, PGM)')
      .requiredOption('--model <dir>', 'a folder written by arcface train')
      .option('--out <file>', 'write to a .npy (float32 [N, D]) or .json file instead of stdout')
      .option('--flip', 'sum the embeddings of each image and its mirror image (insightface\'s flip test)', false)
      .addOption(backendOption()),
  ).action(async (files: string[], options: EmbedCommandOptions & { backend: string; verbose: boolean }) => {
    await setUpBackend(options.backend, options.verbose, log);
    const { embedCommand } = await import('./command-embed');
    await embedCommand(files, options, io.stdout);
  });

  withCommonOptions(
    program
      .command('import')
      .description('an insightface model (.onnx, or an arcface_torch .pth state_dict) as a model folder for embed, eval, train --init and export')
      .argument('<file>', 'the model file, e.g. w600k_r50.onnx or backbone.pth')
      .requiredOption('--out <dir>', 'model folder to write')
      .option('--backbone <name>', 'the architecture when the file does not say, or to check it: iresnet18 … iresnet200, r50, mobilefacenet (mbf), mbf_large'),
  ).action(async (file: string, options: ImportCommandOptions) => {
    await setUpBackend('wasm', false, log);
    const { importCommand } = await import('./command-import');
    await importCommand(file, options, io.stdout);
  });

  withCommonOptions(
    program
      .command('export')
      .description('a model folder (iResNet or MobileFaceNet, trained or imported) as an ONNX file that onnxruntime runs with the same embeddings')
      .requiredOption('--model <dir>', 'a folder written by arcface train or arcface import')
      .requiredOption('--out <file.onnx>', 'the ONNX file to write'),
  ).action(async (options: ExportCommandOptions) => {
    await setUpBackend('wasm', false, log);
    const { exportCommand } = await import('./command-export');
    await exportCommand(options, io.stdout);
  });

  const plot = program.command('plot').description('charts without training');
  withCommonOptions(
    plot
      .command('margins')
      .description('target logit t(θ) of margins (the paper\'s Fig. 4b) to an SVG or PNG file')
      .option('--margins <names>', 'comma-separated margin names (default: the five demo margins with the paper\'s values)')
      .option('--margin-options <json>', 'options per margin name, e.g. \'{"additive-angular": {"m": 0.3}}\'')
      .option('--step <n>', 'training step for scheduled margins (SphereFace λ)')
      .requiredOption('--out <file.svg|file.png>', 'output file'),
  ).action(async (options: PlotMarginsOptions) => {
    const { plotMarginsCommand } = await import('./command-plot');
    await plotMarginsCommand(options, io.stdout);
  });
  plot.hook('preAction', preAction);

  const gallery = program
    .command('gallery')
    .description('a face gallery on PostgreSQL + pgvector (a postgres:// URL, or a folder for embedded PGlite): enrol, identify, benchmark');
  withCommonOptions(
    gallery
      .command('enroll')
      .description('embed <data>/<identity>/<image> and enrol every image (one transaction) into the gallery, created for this model if new')
      .requiredOption('--model <dir>', 'a folder written by arcface train')
      .requiredOption('--gallery <postgres-url|folder>', 'a postgres:// URL (server with pgvector) or a folder (embedded PGlite, created if missing)')
      .requiredOption('--data <folder>', 'images: <folder>/<identity>/<image>')
      .option('--per-identity <n>', 'enrol only the first n images of each identity (sorted by name)')
      .option('--table <name>', 'table of the gallery in the database', 'arcface_gallery')
      .addOption(backendOption()),
  ).action(async (options: GalleryEnrollOptions & { backend: string; verbose: boolean }) => {
    await setUpBackend(options.backend, options.verbose, log);
    const { galleryEnrollCommand } = await import('./command-gallery-enroll');
    await galleryEnrollCommand(options, io.stdout, createProgressBar());
  });
  withCommonOptions(
    gallery
      .command('identify')
      .description('the k enrolled identities closest to each image, with cosine scores')
      .argument('<images...>', 'image files')
      .requiredOption('--model <dir>', 'a folder written by arcface train (the one the gallery was enrolled with)')
      .requiredOption('--gallery <postgres-url|folder>', 'a postgres:// URL or a gallery folder')
      .option('--k <n>', 'identities per image', '5')
      .option('--exact', 'scan every embedding instead of the HNSW index', false)
      .option('--ef-search <n>', 'hnsw.ef_search (default 100): higher is slower and closer to exact')
      .option('--table <name>', 'table of the gallery in the database', 'arcface_gallery')
      .option('--json', 'print [{ file, matches: [{ identity, score }] }]', false)
      .addOption(backendOption()),
  ).action(async (files: string[], options: GalleryIdentifyOptions & { backend: string; verbose: boolean }) => {
    await setUpBackend(options.backend, options.verbose, log);
    const { galleryIdentifyCommand } = await import('./command-gallery-identify');
    await galleryIdentifyCommand(files, options, io.stdout);
  });
  withCommonOptions(
    gallery
      .command('bench')
      .description('the MegaFace identification protocol: rank-1 and CMC, TAR@FAR, index recall against exact search, enrolment/s, build time, queries/s; a report with the CMC plot')
      .requiredOption('--model <dir>', 'a folder written by arcface train')
      .requiredOption('--data <folder>', 'held-out identities: <folder>/<identity>/<image>')
      .requiredOption('--distractors <n>', 'faces of nobody added to the gallery')
      .option('--distractor-source <synthetic|random|folder>', 'synthetic faces from @arcface/data embedded by the model, random unit vectors (measures the index only), or a face folder', 'synthetic')
      .option('--per-identity <n>', 'images enrolled per identity (the first by name); the rest are probes', '1')
      .option('--gallery <postgres-url|folder>', 'where to run it (a fresh table, dropped afterwards); default PGlite in memory')
      .option('--max-rank <n>', 'length of the CMC curve', '10')
      .option('--ef-search <n>', 'hnsw.ef_search of the indexed queries (default 100)')
      .option('--index-precision <single|half>', 'HNSW over vector or halfvec', 'single')
      .option('--seed <n>', 'seed of the synthetic or random distractors', '1')
      .option('--out <dir>', 'report folder', 'gallery-bench')
      .option('--json', 'print the result as JSON instead of the report', false)
      .addOption(backendOption()),
  ).action(async (options: GalleryBenchCommandOptions & { backend: string; verbose: boolean }) => {
    await setUpBackend(options.backend, options.verbose, log);
    const { galleryBenchCommand } = await import('./command-gallery-bench');
    await galleryBenchCommand(options, io.stdout, `arcface ${process.argv.slice(2).join(' ')}`.trim(), createProgressBar());
  });
  gallery.hook('preAction', preAction);
  return program;
}

/**
 * Runs the CLI on `argv` (as `process.argv`) and returns the exit code: 0 on success, 1 for a
 * failure, 2 for a command line commander cannot parse. Errors print as one line saying what is wrong and what to do;
 * the stack trace only with `--verbose`.
 */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const program = buildProgram(io);
  const verbose = argv.includes('--verbose');
  // `pnpm demo -- --data x` may hand the script a literal `--`; no command takes operands that
  // start with a dash, so it is dropped rather than ending option parsing.
  const args = argv.filter((a, i) => i < 2 || a !== '--');
  try {
    await program.parseAsync(args);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed help or the parse error.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
    }
    // The library's own errors (ArcfaceError: a stable `code` such as ERR_DATA_FOLDER) already
    // say what is wrong and what to do; anything else may be a bug, so point at --verbose.
    const code = (error as { code?: unknown } | null)?.code;
    if (error instanceof Error && typeof code === 'string' && code.startsWith('ERR_')) {
      io.stderr(`arcface: error: ${error.message}\n`);
      if (verbose && error.stack !== undefined) io.stderr(`${error.stack}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`arcface: error: ${message}\n`);
    if (verbose && error instanceof Error && error.stack !== undefined) io.stderr(`${error.stack}\n`);
    else io.stderr('(run again with --verbose for the stack trace)\n');
    return 1;
  }
}
