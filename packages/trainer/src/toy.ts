// `@arcface/trainer/toy`: the paper's toy experiment (Fig. 3), browser-safe and free of
// tfjs-layers, shared by the CLI's report and the playground.
export { createToyFaces } from './toy/toy-faces';
export type { ToyFaces, ToyFacesOptions } from './toy/toy-faces';
export { ToyNet } from './toy/toy-net';
export type { ToyHead, ToyNetShape } from './toy/toy-net';
export { measureToyGeometry } from './toy/geodesic-gap';
export type { ToyGeometry } from './toy/geodesic-gap';
export { runToyExperiment, TOY_DEFAULTS } from './toy/run-toy';
export type { ToyOptions } from './toy/run-toy';
export type { ToyImages, ToyPanelReport, ToyReport } from './toy/toy-report';
export { compileToyStep } from './toy/compiled-toy-step';
export type { CompiledToyStep } from './toy/compiled-toy-step';
