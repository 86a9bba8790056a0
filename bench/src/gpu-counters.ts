/**
 * Counts what a WebGPU device is asked to do: compute dispatches, queue submissions and buffers
 * created. It wraps the device's methods (and those of the encoders and passes it returns), so
 * the counts are of the calls actually made, by tfjs or by the compiled step alike.
 */
export interface GpuCounts {
  dispatches: number;
  submissions: number;
  buffers: number;
}

interface Pass {
  dispatchWorkgroups(...args: unknown[]): void;
}
interface Encoder {
  beginComputePass(...args: unknown[]): Pass;
}
interface Device {
  createBuffer(...args: unknown[]): unknown;
  createCommandEncoder(...args: unknown[]): Encoder;
  queue: { submit(...args: unknown[]): void };
}

export function countGpuCalls(target: unknown): { counts: GpuCounts; restore(): void } {
  const device = target as Device;
  const counts: GpuCounts = { dispatches: 0, submissions: 0, buffers: 0 };
  const createBuffer = device.createBuffer;
  const createCommandEncoder = device.createCommandEncoder;
  const queue = device.queue;
  const submit = queue.submit;
  device.createBuffer = function (...args: unknown[]) {
    counts.buffers += 1;
    return createBuffer.apply(this, args);
  };
  device.createCommandEncoder = function (...args: unknown[]) {
    const encoder = createCommandEncoder.apply(this, args);
    const begin = encoder.beginComputePass;
    encoder.beginComputePass = function (...passArgs: unknown[]) {
      const pass = begin.apply(this, passArgs);
      const dispatch = pass.dispatchWorkgroups;
      pass.dispatchWorkgroups = function (...dispatchArgs: unknown[]) {
        counts.dispatches += 1;
        return dispatch.apply(this, dispatchArgs);
      };
      return pass;
    };
    return encoder;
  };
  queue.submit = function (...args: unknown[]) {
    counts.submissions += 1;
    return submit.apply(this, args);
  };
  return {
    counts,
    restore() {
      device.createBuffer = createBuffer;
      device.createCommandEncoder = createCommandEncoder;
      queue.submit = submit;
    },
  };
}
