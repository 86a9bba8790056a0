// Node-only entry: everything that touches the file system.
export { MODEL_JSON, WEIGHTS_BIN, fileSystemHandler, registerFileSystemRouter } from './io/file-system-handler';
export { exportOnnxFile, importModelFile } from './io/model-files';
