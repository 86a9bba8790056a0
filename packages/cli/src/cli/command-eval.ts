import { join } from 'node:path';
import { readFile } from 'node:fs/promises';

import { evaluateVerification, verificationDistances, type VerificationResult } from '@arcface/core';
import { describeSingletons, imagesToTensor, makeVerificationPairs, pairCapacity, type RgbImage, type VerificationPairs } from '@arcface/data';
import { lfwImagePath } from '@arcface/data';
import { readLfwPairs, readVerificationBin } from '@arcface/data/node';

import { readFaceFolder } from '../demo/demo-data';
import { embedImages } from '../demo/embed-images';
import { formatNumber, formatPercentPm } from '../report/format';
import { markdownTable } from '../report/report-markdown';
import { OptionValueError } from './cli-errors';
import { decodeForModel } from './read-images';
import { loadModelFolder } from './model-folder';

export interface EvalCommandOptions {
  readonly model: string;
  readonly data?: string;
  readonly pairs?: string;
  readonly bin?: string;
  readonly far: string;
  readonly folds: string;
  readonly json?: boolean;
  readonly seed: string;
}

/** The JSON `arcface eval --json` prints: the protocol's result with arrays as plain lists. */
export interface EvalJson {
  readonly model: string;
  readonly set: string;
  readonly pairs: number;
  readonly samePairs: number;
  readonly accuracy: { mean: number; std: number };
  readonly folds: Array<{ threshold: number; accuracy: number }>;
  readonly tarAtFar: VerificationResult['tarAtFar'];
  readonly auc: number;
  readonly thresholds: number[];
  readonly tpr: number[];
  readonly fpr: number[];
  /** Folder sets: identities with a single image, which form no same-identity pair. */
  readonly singleImageIdentities?: string[];
  /** Folder sets: how many distinct pairs of each kind the folder can form. */
  readonly pairsAvailable?: { same: number; different: number };
}

/** Images and pairs of the set to verify: first/second index into `images`. */
interface PairSet {
  readonly name: string;
  readonly images: RgbImage[];
  readonly first: number[];
  readonly second: number[];
  readonly isSame: boolean[];
  readonly singleImageIdentities?: string[];
  readonly pairsAvailable?: { same: number; different: number };
}

async function binSet(path: string, inputShape: readonly [number, number, number]): Promise<PairSet> {
  const bin = await readVerificationBin(path);
  const images: RgbImage[] = [];
  for (const [i, bytes] of bin.images.entries()) images.push(await decodeForModel(bytes, `${path} image ${i}`, inputShape));
  const n = bin.isSame.length;
  return {
    name: path,
    images,
    first: Array.from({ length: n }, (_, i) => 2 * i),
    second: Array.from({ length: n }, (_, i) => 2 * i + 1),
    isSame: [...bin.isSame],
  };
}

async function folderSet(
  root: string,
  pairsPath: string | undefined,
  inputShape: readonly [number, number, number],
  folds: number,
  seed: number,
  log: (line: string) => void,
): Promise<PairSet> {
  if (pairsPath !== undefined) {
    // LFW layout: pairs name images as <root>/<name>/<name>_<NNNN>.jpg.
    const pairs = await readLfwPairs(pairsPath, { imagesDir: root });
    const index = new Map<string, number>();
    const images: RgbImage[] = [];
    const load = async (name: string, i: number): Promise<number> => {
      const path = join(root, lfwImagePath({ name, index: i }));
      const known = index.get(path);
      if (known !== undefined) return known;
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(path));
      } catch {
        throw new OptionValueError(`'${pairsPath}' names '${path}', which cannot be read; pass the image folder the pairs refer to with --data`);
      }
      images.push(await decodeForModel(bytes, path, inputShape));
      index.set(path, images.length - 1);
      return images.length - 1;
    };
    const first: number[] = [];
    const second: number[] = [];
    for (const p of pairs.pairs) {
      first.push(await load(p.first.name, p.first.index));
      second.push(await load(p.second.name, p.second.index));
    }
    return { name: `${root} (${pairsPath})`, images, first, second, isSame: pairs.pairs.map((p) => p.isSame) };
  }
  const { images, labels, identities } = await readFaceFolder(root, inputShape[0]);
  // Say which identities cannot take part in a same-identity pair, and what the folder allows.
  const capacity = pairCapacity(labels);
  const identity = (c: number): string => identities[c] as string;
  const available = { same: capacity.samePairs, different: capacity.differentPairs };
  if (capacity.singletons.length > 0) log(`eval: ${describeSingletons(capacity, identity)}`);
  const pairs = drawFolderPairs(labels, folds, seed, root, identity);
  log(`eval: ${pairs.isSame.length} pairs drawn (${folds} folds of ${pairs.isSame.length / folds}) from the ${available.same} same-identity and ${available.different} different-identity pairs '${root}' can form`);
  return {
    name: root,
    images,
    first: pairs.first,
    second: pairs.second,
    isSame: pairs.isSame,
    singleImageIdentities: capacity.singletons.map(identity),
    pairsAvailable: available,
  };
}

/**
 * The balanced pairs `arcface eval --data <folder>` scores: as many per fold as the folder
 * allows, up to 60 (600 in all), drawn by `seed`. Exported so a baseline (raw pixels) can be
 * scored on exactly the same pairs.
 */
export function drawFolderPairs(
  labels: readonly number[],
  folds: number,
  seed: number,
  root: string,
  identity: (label: number) => string = String,
): VerificationPairs {
  for (let perFold = 60; perFold >= 2; perFold -= 2) {
    try {
      return makeVerificationPairs(labels, { folds, pairsPerFold: perFold, seed });
    } catch {
      // Too few same-identity pairs for this many: try fewer.
    }
  }
  const capacity = pairCapacity(labels);
  throw new OptionValueError(
    `'${root}' can form ${capacity.samePairs} same-identity pairs (${describeSingletons(capacity, identity)}), ` +
      `too few to draw ${folds} folds of verification pairs (${folds} needed); add a second image of more identities or pass --folds with a smaller number`,
  );
}

/** `arcface eval`: insightface's verification protocol for a trained model on a folder, LFW pairs or a `.bin`. */
export async function evalCommand(options: EvalCommandOptions, write: (text: string) => void, log: (line: string) => void = () => undefined): Promise<EvalJson> {
  if ((options.bin === undefined) === (options.data === undefined)) {
    throw new OptionValueError('pass exactly one of --data <folder> (optionally with --pairs <pairs.txt>) or --bin <file.bin>');
  }
  if (options.pairs !== undefined && options.data === undefined) throw new OptionValueError('--pairs needs --data <folder> with the images it names');
  const far = Number(options.far);
  if (!(far > 0 && far < 1)) throw new OptionValueError(`--far must be in (0, 1), got '${options.far}'`);
  const folds = Number(options.folds);
  if (!(Number.isInteger(folds) && folds >= 2)) throw new OptionValueError(`--folds must be an integer ≥ 2, got '${options.folds}'`);
  const { model, metadata } = await loadModelFolder(options.model);
  try {
    const set =
      options.bin !== undefined
        ? await binSet(options.bin, metadata.inputShape)
        : await folderSet(options.data as string, options.pairs, metadata.inputShape, folds, Number(options.seed), log);
    const x = imagesToTensor(set.images);
    let embedded: { data: Float32Array; size: number };
    try {
      embedded = await embedImages(model, x, { flipSum: true });
    } finally {
      x.dispose();
    }
    const row = (i: number): Float32Array => embedded.data.subarray(i * embedded.size, (i + 1) * embedded.size);
    const distances = verificationDistances(set.first.map(row), set.second.map(row));
    const result = evaluateVerification(distances, set.isSame, { folds, far });
    const json: EvalJson = {
      model: options.model,
      set: set.name,
      pairs: set.isSame.length,
      samePairs: set.isSame.filter(Boolean).length,
      accuracy: result.accuracy,
      folds: result.folds.map((f) => ({ threshold: f.threshold, accuracy: f.accuracy })),
      tarAtFar: result.tarAtFar,
      auc: result.auc,
      thresholds: Array.from(result.thresholds),
      tpr: Array.from(result.tpr),
      fpr: Array.from(result.fpr),
      ...(set.singleImageIdentities !== undefined ? { singleImageIdentities: set.singleImageIdentities } : {}),
      ...(set.pairsAvailable !== undefined ? { pairsAvailable: set.pairsAvailable } : {}),
    };
    if (options.json === true) {
      write(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      const tar = result.tarAtFar;
      write(
        `${markdownTable({
          header: ['set', 'pairs', `accuracy (${folds}-fold)`, `TAR@FAR=${far}`, 'ROC AUC'],
          rows: [[set.name, `${json.pairs} (${json.samePairs} same)`, formatPercentPm(result.accuracy.mean, result.accuracy.std), tar === null ? 'n/a' : formatPercentPm(tar.tar.mean, tar.tar.std), formatNumber(result.auc, 4)]],
        })}\n`,
      );
    }
    return json;
  } finally {
    model.dispose();
  }
}
