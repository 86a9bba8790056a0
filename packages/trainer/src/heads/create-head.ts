import { TrainerConfigError } from '../errors';
import { fullClassifier } from './full-classifier';
import type { ClassificationHead, HeadConfig } from './head';
import { partialFc } from './partial-fc';

/**
 * Builds a head from plain settings.
 *
 * @example
 * createHead({ type: 'partial-fc', sampleRate: 0.2 }, { numClasses: 1e5, embeddingSize: 512, seed: 1 });
 */
export function createHead(config: HeadConfig, options: { numClasses: number; embeddingSize: number; seed: number }): ClassificationHead {
  switch (config.type) {
    case 'full':
      return fullClassifier(options);
    case 'partial-fc':
      return partialFc({ ...options, sampleRate: config.sampleRate });
    default:
      throw new TrainerConfigError('ERR_UNKNOWN_HEAD', `head type '${(config as { type: string }).type}' is not known; known: full, partial-fc`);
  }
}
