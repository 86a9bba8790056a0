/**
 * The part of the WebGPU API the compiled step uses, typed here so that the package's public
 * types do not depend on a particular `@webgpu/types` release (tfjs and Dawn ship different ones).
 */
export interface GpuBuffer {
  readonly size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface GpuBindGroup {
  readonly __brand?: 'GpuBindGroup';
}

export interface GpuComputePipeline {
  getBindGroupLayout(index: number): unknown;
}

export interface GpuComputePass {
  setPipeline(pipeline: GpuComputePipeline): void;
  setBindGroup(index: number, group: GpuBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface GpuCommandEncoder {
  beginComputePass(descriptor?: { label?: string }): GpuComputePass;
  copyBufferToBuffer(source: GpuBuffer, sourceOffset: number, destination: GpuBuffer, destinationOffset: number, size: number): void;
  finish(): unknown;
}

export interface GpuQueue {
  submit(commandBuffers: unknown[]): void;
  writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void;
  onSubmittedWorkDone(): Promise<void>;
}

export interface GpuShaderModule {
  getCompilationInfo?(): Promise<{ messages: ReadonlyArray<{ type: string; message: string; lineNum: number }> }>;
}

export interface GpuDevice {
  readonly queue: GpuQueue;
  readonly limits: { readonly maxStorageBufferBindingSize: number; readonly maxBufferSize: number; readonly maxComputeWorkgroupsPerDimension: number };
  createBuffer(descriptor: { size: number; usage: number; label?: string; mappedAtCreation?: boolean }): GpuBuffer;
  createShaderModule(descriptor: { code: string; label?: string }): GpuShaderModule;
  createComputePipeline(descriptor: { layout: 'auto'; compute: { module: GpuShaderModule; entryPoint: string }; label?: string }): GpuComputePipeline;
  createBindGroup(descriptor: { layout: unknown; entries: Array<{ binding: number; resource: { buffer: GpuBuffer } }>; label?: string }): GpuBindGroup;
  createCommandEncoder(descriptor?: { label?: string }): GpuCommandEncoder;
  pushErrorScope?(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope?(): Promise<{ message: string } | null>;
}

/** GPUBufferUsage and GPUMapMode values (constants of the WebGPU specification). */
export const BufferUsage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MapMode = { READ: 0x1 } as const;
