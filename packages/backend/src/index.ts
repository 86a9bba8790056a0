export { selectBackend, type SelectBackendOptions } from './selection/select-backend';
export { describeBackendSelection } from './selection/describe-backend-selection';
export { probeBackend } from './selection/probe-backend';
export {
  BACKEND_NAMES,
  type BackendName,
  type BackendSelection,
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
  NoBackendAvailableError,
  UnknownBackendError,
  UnsupportedConvolutionError,
  WasmBackendMissingError,
} from './errors';
export { setNativeKernelsEnabled, setNativeKernelsRelaxedSimd, setNativeKernelThreads } from './wasm/native/native-kernels';
export { disableLeanBackprop, enableLeanBackprop, isLeanBackpropEnabled } from './autodiff/lean-backprop';
