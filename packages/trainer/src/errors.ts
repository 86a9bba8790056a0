import { ArcfaceError } from '@arcface/core';

/** A training configuration that cannot work, found before any training starts. */
export class TrainerConfigError extends ArcfaceError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The optimiser name is not one of the known ones. */
export class UnknownOptimizerError extends TrainerConfigError {
  constructor(name: string, known: readonly string[]) {
    super('ERR_UNKNOWN_OPTIMIZER', `optimizer '${name}' is not known; known: ${known.join(', ')}`);
  }
}

/** The learning-rate schedule type is not one of the known ones, or its settings do not fit. */
export class ScheduleConfigError extends TrainerConfigError {
  constructor(message: string) {
    super('ERR_SCHEDULE_CONFIG', message);
  }
}

/** The batch asks for more samples than the training set holds. */
export class BatchTooLargeError extends TrainerConfigError {
  constructor(batchSize: number, samples: number) {
    super('ERR_BATCH_TOO_LARGE', `batch size ${batchSize} is larger than the training set (${samples} samples)`);
  }
}

/** The backbone's embedding size and the head's centre width disagree. */
export class EmbeddingSizeMismatchError extends TrainerConfigError {
  constructor(backbone: number, head: number) {
    super('ERR_EMBEDDING_SIZE_MISMATCH', `the backbone outputs ${backbone}-d embeddings but the head's class centres are ${head}-d`);
  }
}

/** The loss or the gradient became NaN or infinite; nothing was applied, and the last checkpoint is intact. */
export class NonFiniteLossError extends ArcfaceError {
  readonly step: number;
  readonly lastCheckpoint: string | undefined;
  constructor(step: number, loss: number, gradNorm: number, lastCheckpoint: string | undefined) {
    super(
      'ERR_NON_FINITE_LOSS',
      `training stopped at step ${step}: loss ${loss}, gradient norm ${gradNorm} (not finite). ` +
        (lastCheckpoint !== undefined
          ? `The last good checkpoint is ${lastCheckpoint}; resume from it with a lower learning rate or scale s.`
          : 'No checkpoint was written yet; lower the learning rate or the scale s and start again.'),
    );
    this.step = step;
    this.lastCheckpoint = lastCheckpoint;
  }
}

/** A checkpoint file that is truncated, has a bad checksum, or does not belong to this configuration. */
export class CheckpointError extends ArcfaceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CHECKPOINT', message, options);
  }
}
