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
export type { CheckpointStore } from './checkpoint/checkpoint-store';
export { adaptChannels, embedImages, type EmbedOptions } from './evaluation/embed';
export type { VerificationSet } from './evaluation/verification-set';
export { imageSetDataset } from './demo/image-set-dataset';
export { trainDemoMargin } from './demo/train-demo-margin';
export type { DemoTrainingOptions, DemoTrainingResult } from './demo/train-demo-margin';
export type { ImageSet } from './demo/demo-data';
export { demoSettings, DEMO_MARGINS } from './demo/demo-settings';
export type { DemoSettings, DemoMargin } from './demo/demo-settings';
export { UsageError, DataFolderError, EmptyIdentityError, UnreadableImageError } from './demo/demo-errors';
// Charts: Vega-Lite specs and SVG rendering (vega is loaded on first use); PNG output is in ./node.
export { renderVegaLite } from './plots/render';
export type { ChartSpec } from './plots/chart-spec';
export type { RenderedPlot } from './plots/render';
export { plotLossCurves, lossCurvesSpec } from './plots/loss-curves';
export type { LossSeries, LossCurvesOptions } from './plots/loss-curves';
export { plotThetaDistribution, thetaDistributionSpec } from './plots/theta-distribution';
export type { ThetaSeries, ThetaSnapshot } from './plots/theta-distribution';
export { plotRocCurves, rocCurvesSpec } from './plots/roc-curves';
export type { RocSeries } from './plots/roc-curves';
export { plotTargetLogitCurves, targetLogitCurvesSpec, sampleTargetLogits } from './plots/target-logit-curves';
export type { TargetLogitSeries, TargetLogitOptions } from './plots/target-logit-curves';
export { plotAngleStatistics, angleStatisticsSpec } from './plots/angle-statistics';
export type { AngleStatisticsSeries } from './plots/angle-statistics';
export { plotToyEmbedding, toyEmbeddingSpec } from './plots/toy-embedding';
export type { ToyPanel } from './plots/toy-embedding';
export { PlotInputError } from './plots/plot-error';
// The demo report: its format and its HTML / Markdown pages (writing the files is in ./node).
export { renderReportPlots } from './report/report-plots';
export type { ReportPlot, MarginResolver } from './report/report-plots';
export { renderReportMarkdown } from './report/report-markdown';
export { renderReportHtml } from './report/report-html';
export type { DemoReport, MarginRunReport, ToyReport, ToyPanelReport, VerificationSummary, AngleStatisticsDegrees, MarginSpec } from './report/demo-report';
export { measureCircleGeometry } from './toy/geodesic-gap';
export type { CircleGeometry } from './toy/geodesic-gap';
export { runToyExperiment } from './toy/run-toy';
export type { ToyOptions } from './toy/run-toy';
