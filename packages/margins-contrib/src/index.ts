export { adaFace, adaFaceTarget, ADAFACE_DEFAULTS } from './adaface';
export { curricularFace, curricularFaceNegative, CURRICULARFACE_DEFAULTS } from './curricular-face';
export { magFace, magFaceMargin, magFaceLambdaLowerBound, MAGFACE_DEFAULTS } from './mag-face';
export {
  subcenterArcFace,
  poolSubcenters,
  subcenterOutliers,
  SUBCENTER_ARCFACE_DEFAULTS,
  type SubcenterOutliers,
} from './subcenter-arcface';
export {
  elasticFace,
  elasticFaceAssign,
  elasticFaceDraw,
  elasticFaceLogits,
  elasticFaceMargins,
  elasticFaceMeanMargin,
  elasticFaceTarget,
  ELASTICFACE_DEFAULTS,
  type ElasticFacePlus,
} from './elastic-face';
export { uniFace, uniFaceLoss, unifiedCrossEntropy, uniFaceInitialBias, isUniFace, UNIFACE_DEFAULTS } from './uniface';
export { registerContribMargins, CONTRIB_MARGINS } from './register';
export type {
  ContribMarginName,
  AdaFaceInput,
  CurricularFaceInput,
  MagFaceInput,
  SubcenterArcFaceInput,
  ElasticFaceInput,
  UniFaceInput,
} from './register';
export { MissingFeatureNormsError } from './errors';
export { additiveAngularTargetScalar, type AngularBoundary } from './tensor-ops';
