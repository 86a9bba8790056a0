export {
  ArcfaceError,
  DegenerateInputError,
  EmptyInputError,
  InvalidArgumentError,
  NotANumberError,
  ShapeMismatchError,
} from './errors';
export { l2Normalize, l2Norm } from './normalize';
export { ACOS_GRADIENT_EPSILON, safeAcos, cosineMatrix, angleMatrix, toDegrees } from './angles';
export { arange, accuracyThresholds, valThresholds } from './arange';
export { kFoldRanges, type FoldRange } from './k-fold';
export {
  evaluateVerification,
  type VerificationFold,
  type VerificationOptions,
  type VerificationResult,
} from './evaluate-verification';
export { tarAtFar, type TarAtFarFold, type TarAtFarOptions, type TarAtFarResult } from './tar-at-far';
export { rocAuc, type RocAucOptions } from './roc-auc';
export { verificationDistances } from './verification-distances';
export { flipSumEmbeddings } from './flip-sum';
export { hypersphereStatistics, type HypersphereStatistics } from './hypersphere-statistics';
export { mapAtR, precisionAtOne, retrievalMetrics, type RetrievalMetrics } from './retrieval-metrics';
export { ARCFACE_TEMPLATE_112, type Point } from './alignment/arcface-template';
export { invertAffine, transformPoints, type AffineMatrix } from './alignment/affine-matrix';
export { estimateSimilarityTransform } from './alignment/similarity-transform';
export { alignmentMatrix, arcfaceTemplate } from './alignment/alignment-matrix';
export { warpAffine, type ImageBuffer, type PixelArray, type WarpAffineOptions } from './alignment/warp-affine';
export { alignFace } from './alignment/align-face';
