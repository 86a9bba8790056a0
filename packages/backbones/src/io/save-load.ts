import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelIoError } from '../errors';
import { checkTopology } from './check-topology';
import { useLeanBatchNormalization } from '../batch-norm';
import { freezeFeatureScale } from '../layers';

/**
 * Where a model goes or comes from: an IOHandler, or a URL that one of tfjs' registered
 * routers understands (`indexeddb://name`, `downloads://name`, `localstorage://name`, `http(s)://…`
 * for loading). In Node, `file://` works once `registerFileSystemRouter()` from
 * `@arcface/backbones/node` ran, or pass `fileSystemHandler(dir)` directly.
 */
export type ModelLocation = string | tf.io.IOHandler;

/**
 * Saves a backbone's topology and weights through tfjs IO (`model.json` + `weights.bin`).
 *
 * @example
 * ```ts
 * await saveBackbone(model, 'indexeddb://my-face-model');            // browser
 * await saveBackbone(model, fileSystemHandler('/tmp/model'));          // Node, from '@arcface/backbones/node'
 * ```
 */
export async function saveBackbone(model: tfl.LayersModel, location: ModelLocation): Promise<tf.io.SaveResult> {
  if (typeof location === 'string' && tf.io.getSaveHandlers(location).length === 0) {
    throw new ModelIoError(`no save handler for '${location}'; ${routerHint(location)}`);
  }
  return model.save(location);
}

/**
 * Loads a backbone saved by {@link saveBackbone} (or any tfjs layers model). Its batch-norm
 * layers get the same memory-lean training step as freshly built backbones, so a resumed
 * training run fits where the first one did.
 *
 * @example
 * ```ts
 * const model = await loadBackbone('indexeddb://my-face-model');
 * ```
 */
export async function loadBackbone(location: ModelLocation): Promise<tfl.LayersModel> {
  if (typeof location === 'string' && tf.io.getLoadHandlers(location).length === 0) {
    throw new ModelIoError(`no load handler for '${location}'; ${routerHint(location)}`);
  }
  const where = typeof location === 'string' ? location : ((location as { location?: string }).location ?? 'the given IOHandler');
  const handler = typeof location === 'string' ? (tf.io.getLoadHandlers(location)[0] as tf.io.IOHandler) : location;
  if (handler.load === undefined) throw new ModelIoError(`'${where}' cannot load models (its IOHandler has no load)`);
  let model: tfl.LayersModel;
  try {
    // Load the artifacts first and check their wiring: tfjs-layers would hang on some damage.
    const artifacts = await handler.load();
    checkTopology(artifacts.modelTopology, where);
    model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    if (error instanceof ModelIoError) throw error;
    // tfjs-layers throws its own errors for a topology it cannot build: say which model it was.
    throw new ModelIoError(`cannot build the model saved at '${where}': ${(error as Error).message}; the model.json is damaged or not a layers model — save the model again`, {
      cause: error,
    });
  }
  return freezeFeatureScale(useLeanBatchNormalization(model));
}

function routerHint(url: string): string {
  return url.startsWith('file://')
    ? "in Node call registerFileSystemRouter() from '@arcface/backbones/node' first, or pass fileSystemHandler(path)"
    : 'use indexeddb://, downloads://, localstorage:// or http(s):// (browser), or an IOHandler';
}
