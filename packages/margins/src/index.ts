export type { MarginFn, MarginContext, MarginOptions, MarginState, GradientMode, JsonValue, JsonPrimitive } from './margin-fn';
export { MARGIN_SPEC_VERSION } from './margin-fn';
export {
  GradientsNotRegisteredError,
  InvalidLabelsError,
  InvalidMarginError,
  MarginAlreadyRegisteredError,
  MarginOptionError,
  MarginStateError,
  NonFiniteInputError,
  UnknownMarginError,
} from './errors';
export { defineMargin, targetOnlyLogits } from './define-margin';
export type {
  CommonMarginOptions,
  MarginDefinition,
  MarginFactory,
  MarginFormula,
  MarginInput,
} from './define-margin';
export { RunningState, float32FromJson, float32ToJson } from './running-state';
export type { MarginStateStore, RunningValue } from './running-state';
export { checkChoiceOption, checkKnownKeys, checkNumberOption } from './option-checks';
export type { NumberLimits } from './option-checks';
export { additiveAngular, ADDITIVE_ANGULAR_BOUNDARIES } from './additive-angular';
export type { AdditiveAngularBoundary, AdditiveAngularOptions, AdditiveAngularOwnOptions } from './additive-angular';
export { additiveCosine } from './additive-cosine';
export type { AdditiveCosineOptions, AdditiveCosineOwnOptions } from './additive-cosine';
export { multiplicativeAngular, MAX_SPHEREFACE_M } from './multiplicative-angular';
export type { MultiplicativeAngularOptions, MultiplicativeAngularOwnOptions } from './multiplicative-angular';
export { sphereFaceLambda, SPHEREFACE_LAMBDA_DEFAULTS } from './sphereface-lambda';
export type { SphereFaceLambdaSchedule } from './sphereface-lambda';
export { combined, COMBINED_BOUNDARIES } from './combined';
export type { CombinedBoundary, CombinedOptions, CombinedOwnOptions } from './combined';
export { softmaxNormalized } from './softmax-normalized';
export type { SoftmaxNormalizedOptions, SoftmaxNormalizedOwnOptions } from './softmax-normalized';
export { BUILTIN_MARGINS } from './builtin-margins';
export { createMargin, listMargins, registerMargin, MARGIN_REGISTRY_KEY } from './registry';
export type { MarginName, MarginRegistry, RegisterMarginOptions, RegisteredMarginFactory } from './registry';
export { marginSoftmaxLoss, hasClosedFormGradient } from './margin-softmax-loss';
export type { MarginLossContext } from './margin-softmax-loss';
export { marginLogits } from './margin-logits';
export { softmaxLoss } from './softmax-loss';
export { meanTargetAngle } from './mean-target-angle';
export { checkMargin } from './check-margin';
export type { CheckMarginOptions, MarginCheckReport, MarginLaw, MarginViolation } from './check-margin';
