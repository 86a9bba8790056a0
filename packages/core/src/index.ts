export { ArcfaceError, InvalidArgumentError, ShapeMismatchError } from './errors';
export { l2Normalize, l2Norm } from './normalize';
export { ACOS_GRADIENT_EPSILON, safeAcos, cosineMatrix, angleMatrix, toDegrees } from './angles';
