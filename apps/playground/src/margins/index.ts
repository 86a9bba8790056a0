// The one place the page takes margins from. It follows the contract of @arcface/margins
// (DESIGN.md); the implementations beside it stand in until that package exports them.
export { createMargin, listMargins, registerMargin, defineMargin, type MarginFactory } from './margin-registry';
export { checkMargin, type MarginCheckReport, type MarginViolation, type MarginLaw } from './check-margin';
export { marginSoftmaxLoss } from './margin-softmax-loss';
export { ARCFACE_BOUNDARIES, COMBINED_BOUNDARIES } from './builtin-margins';
export { PlaygroundMarginError } from './margin-errors';
