export { selectBackend, type SelectBackendOptions } from './selection/select-backend';
export { describeBackendSelection } from './selection/describe-backend-selection';
export { probeBackend } from './selection/probe-backend';
export {
  BACKEND_NAMES,
  type BackendName,
  type BackendSelection,
  type BackendSelectionReport,
  type CandidateReport,
  type CandidateStatus,
  type ModuleImporter,
} from './selection/backend-selection';
export {
  registerWasmTrainingKernels,
  type WasmTrainingKernelOptions,
  type WasmTrainingKernels,
} from './wasm/register-wasm-training-kernels';
export {
  registerWebgpuTrainingKernels,
  type WebgpuTrainingKernelOptions,
  type WebgpuTrainingKernels,
} from './webgpu/register-webgpu-training-kernels';
export {
  NativeKernelFailedError,
  NativeWorkerLostError,
  NoBackendAvailableError,
  UnknownBackendError,
  UnsupportedConvolutionError,
  WasmBackendMissingError,
} from './errors';
export {
  closeNativeKernels,
  engineValidatesRelaxedSimd,
  setNativeKernelsEnabled,
  setNativeKernelsRelaxedSimd,
  setNativeKernelThreads,
} from './wasm/native/native-kernels';
export { setNativeKernelWaitTimeout } from './wasm/native/column-pool';
export { disableLeanBackprop, enableLeanBackprop, isLeanBackpropEnabled } from './autodiff/lean-backprop';
export { UncompilableModelError } from './errors';
export {
  compileTrainingStep,
  type CompileOptions,
  type CompiledBatch,
  type CompiledStepMetrics,
  type CompiledStepSummary,
  type CompiledTrainingStep,
} from './webgpu/compiled/compile-training-step';
export type { GraphHead, GraphOp, GraphOptimizer, GraphParam, TrainingGraph } from './webgpu/compiled/training-graph';
