// Browser-safe entry: nothing here touches fs or sharp (see '@arcface/data/node' for those).
export {
  RecordIOFormatError,
  RecordNotFoundError,
  PickleFormatError,
  UnsafePickleError,
  VerificationBinError,
  ImageDecodeError,
  MissingSharpError,
  PairsFormatError,
  MissingFileError,
  BadImagesError,
  TooFewIdentitiesError,
  BAD_IMAGES_SHOWN,
  nameInput,
  type BadImage,
} from './errors';
export { createRng, hashSeed, hash32, type Rng, type RngState } from './random/rng';

export { RECORDIO_MAGIC, encodeRecord, parsePartHeader, joinParts, type PartHeader } from './recordio/framing';
export { IR_HEADER_SIZE, packRecordPayload, unpackRecordPayload, recordClassLabel, type RecordIOItem, type RecordIOItemInput } from './recordio/ir-header';
export { parseIdx, formatIdx, type IdxEntry } from './recordio/idx';
export { memorySource, type ByteSource } from './recordio/byte-source';
export { RecordIOReader, readRecordIOBytes, readPayloadAt, type IdentityRange } from './recordio/recordio-reader';

export { unpickle, unpicklePrefix, type UnpickleOptions } from './pickle/unpickle';
export { PickleGlobal, PickleObject, PickleTuple, PickleSet, type PickleValue } from './pickle/pickle-value';
export { parseVerificationBin, type VerificationBin } from './pickle/verification-bin';

export { parseLfwPairs, lfwImagePath, type LfwPairs, type LfwPair, type LfwImageRef } from './pairs/lfw-pairs';

export { checkRgbImage, greyToRgb, type RgbImage } from './image/rgb-image';
export { decodePgm } from './image/pgm';
export { sniffImageFormat, type ImageFormat } from './image/sniff-format';
export { cropResize, resizeImage, flipHorizontal, centreBox, type CropBox, type FitMode } from './image/resize';
export { imagesToTensor, normalizeImageTensor } from './image/to-tensor';
export { alignRgbImage } from './image/align';
export { centreInputs } from './image/centre-inputs';

export { checkIndex, datasetLabels, subsetDataset, type FaceDataset } from './dataset/face-dataset';

export { sampleIdentity, type FaceIdentity, type Rgb } from './synthetic/face-identity';
export { sampleVariation, type FaceConditions, type FaceVariation, type FaceOcclusion } from './synthetic/face-variation';
export { renderFace } from './synthetic/render-face';
export {
  createSyntheticFaces,
  PLAIN_BACKDROP_GREY,
  type SyntheticBackdrop,
  type SyntheticFaces,
  type SyntheticFacesOptions,
} from './synthetic/synthetic-faces';

export { splitByIdentity, type IdentitySplit } from './pipeline/split-by-identity';
export { makeVerificationPairs, type VerificationPairs } from './pipeline/verification-pairs';
export { augmentImage, type AugmentOptions } from './pipeline/augment';
export { screenDataset, formatBadImages, type BadImagePolicy, type ScreenOptions, type ScreenedDataset } from './pipeline/screen-dataset';
export { checkIdentities } from './pipeline/check-identities';
export { pairCapacity, describeSingletons, type PairCapacity } from './pipeline/pair-capacity';
export { createCheckedDataPipeline, type CheckedDataPipeline } from './pipeline/data-pipeline';
export { createDataPipeline, type DataPipeline, type DataPipelineOptions, type Batch, type PipelinePosition } from './pipeline/data-pipeline';
