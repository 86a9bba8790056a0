// Node-only entry: files (fs) and decoding (sharp).
export { openFileSource } from './file-source';
export { openRecordIO, defaultIdxPath } from './open-recordio';
export { RecordIOWriter, writeFaceRecordIO, type FaceRecordSample } from './recordio-writer';
export { openRecordIODataset, type RecordIODataset } from './recordio-dataset';
export { readVerificationBin } from './verification-bin-file';
export { decodeImage, BAD_IMAGE_HINT, type DecodeOptions } from './decode-image';
export { checkImageBytes } from './check-image';
export { openImageFolder, findDuplicateImages, type ImageFolderDataset, type ImageFolderOptions } from './image-folder';
export { readLfwPairs } from './lfw-pairs-file';
