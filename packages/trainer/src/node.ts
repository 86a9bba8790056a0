// Node-only entry (`@arcface/trainer/node`): everything of the root entry, plus what touches
// the file system: checkpoints in a folder and JSON-lines metrics logs.
export * from './index';
export { fileCheckpointStore, readCheckpointFile } from './node/file-checkpoint-store';
export { jsonLinesWriter } from './node/json-lines';
