import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '@arcface/core';

type SymbolicTensor = tfl.SymbolicTensor;
type Layer = SymbolicTensor['sourceLayer'];
type Inbound = Layer['inboundNodes'][number];

/** One call of one layer in a model's graph. */
export interface LayerCall {
  readonly layer: Layer;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
}

/**
 * The layer calls of a functional model with one input and one output, each after the calls
 * producing its inputs, found by walking back from the output. `caller` starts the error
 * messages (the public function that was handed the model).
 */
export function sortLayerCalls(model: tfl.LayersModel, caller: string): { input: SymbolicTensor; output: SymbolicTensor; calls: LayerCall[] } {
  const inputs = (model as { inputs?: SymbolicTensor[] }).inputs;
  const outputs = (model as { outputs?: SymbolicTensor[] }).outputs;
  if (!Array.isArray(inputs) || !Array.isArray(outputs)) {
    throw new InvalidArgumentError(`${caller}: expected a built tfjs-layers LayersModel (with inputs and outputs)`);
  }
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new InvalidArgumentError(
      `${caller}: the model must have one input and one output, got ${inputs.length} and ${outputs.length} (model '${model.name}')`,
    );
  }
  const input = inputs[0]!;
  const output = outputs[0]!;
  const inboundOf = (t: SymbolicTensor): Inbound => t.sourceLayer.inboundNodes[t.nodeIndex] as Inbound;
  const calls: LayerCall[] = [];
  const visited = new Set<Inbound>();
  // Depth-first, post-order, without recursion (graphs hundreds of layers deep).
  const stack: Array<{ inbound: Inbound; expanded: boolean }> = [];
  const push = (t: SymbolicTensor) => {
    if (t.id === input.id) return;
    const inbound = inboundOf(t);
    if (!visited.has(inbound)) stack.push({ inbound, expanded: false });
  };
  push(output);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (visited.has(top.inbound)) {
      stack.pop();
      continue;
    }
    if (!top.expanded) {
      top.expanded = true;
      for (let i = top.inbound.inputTensors.length - 1; i >= 0; i -= 1) push(top.inbound.inputTensors[i]!);
      continue;
    }
    stack.pop();
    visited.add(top.inbound);
    if (top.inbound.inputTensors.length === 0) {
      throw new InvalidArgumentError(
        `${caller}: layer '${top.inbound.outboundLayer.name}' has no inputs but is not the model's input (model '${model.name}')`,
      );
    }
    calls.push({ layer: top.inbound.outboundLayer, inputs: top.inbound.inputTensors, outputs: top.inbound.outputTensors });
  }
  return { input, output, calls };
}
