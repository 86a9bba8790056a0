export {
  BatchTooLargeError,
  CheckpointError,
  EmbeddingSizeMismatchError,
  NonFiniteLossError,
  ScheduleConfigError,
  TrainerConfigError,
  UnknownOptimizerError,
} from './errors';
export { createTrainer } from './engine/create-trainer';
export type { Trainer } from './engine/create-trainer';
export type { StepMode } from './engine/training-step';
export type { TrainerConfig } from './engine/trainer-config';
export type { EvaluationReport, SetEvaluation, StepMetrics, TrainerEvent } from './engine/trainer-events';
export { createHead } from './heads/create-head';
export { fullClassifier } from './heads/full-classifier';
export { partialFc, sampleClasses } from './heads/partial-fc';
export type { ClassificationHead, HeadConfig, HeadState, HeadStep } from './heads/head';
export { sgd } from './optim/sgd';
export type { SgdOptions } from './optim/sgd';
export { adamw } from './optim/adamw';
export type { AdamWOptions } from './optim/adamw';
export { OPTIMIZER_NAMES, createOptimizer } from './optim/create-optimizer';
export type { OptimizerConfig } from './optim/create-optimizer';
export type { Optimizer } from './optim/optimizer';
export { SCHEDULE_TYPES, checkSchedule, learningRate } from './optim/learning-rate';
export type { ScheduleConfig } from './optim/learning-rate';
export { clipByGlobalNorm } from './optim/clip';
export { crc32, decodeCheckpoint, encodeCheckpoint } from './checkpoint/checkpoint-format';
export type { CheckpointContents, NamedArray } from './checkpoint/checkpoint-format';
export type { CheckpointStore } from './checkpoint/checkpoint-store-interface';
export { memoryCheckpointStore } from './checkpoint/memory-checkpoint-store';
export { adaptChannels, embedImages, type EmbedOptions } from './evaluation/embed';
export type { VerificationSet } from './evaluation/verification-set';
export type { GradientCheckpoints } from './engine/backbone-forward';
export { configureTrainer } from './engine/configure-trainer';
export type { ResolvedTrainer } from './engine/configure-trainer';
