// Node-only entry (`@arcface/trainer/node`): everything of the root entry, plus what touches the
// file system, sharp or child processes: checkpoints on disk, JSON-lines logs, PNG charts, the
// demo run and its report files, the CLI.
export * from './index';
export { fileCheckpointStore, readCheckpointFile } from './checkpoint/checkpoint-store';
export { jsonLinesWriter } from './engine/json-lines';
export { svgToPng } from './plots/render';
export { runDemo, type RunDemoOptions, type DemoProgress } from './demo/run-demo';
export { syntheticDemoData, folderDemoData, type DemoData, type SyntheticDataOptions } from './demo/demo-data';
export { writeReport, type WriteReportOptions } from './report/write-report';
export { runCli, buildProgram, type CliIo } from './cli/program';
export { loadMarginPlugins } from './cli/plugins';
