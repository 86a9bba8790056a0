import { ModelIoError } from '../errors';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks the wiring of a functional layers-model topology before tfjs-layers builds it: every
 * inbound node names a layer of the model and a node that layer has, the inputs and outputs name
 * layers, and the graph has no cycle. tfjs-layers waits forever for a node that never appears,
 * so a damaged model.json would hang the loader instead of failing.
 */
export function checkTopology(topology: unknown, where: string): void {
  const damaged = (what: string) => new ModelIoError(`the model at '${where}' ${what}: its model.json is damaged; save the model again`);
  const root = isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology;
  if (!isObject(root)) throw damaged('has no model topology');
  const config = root.config;
  // Sequential models list layers without wiring: tfjs builds them in order, nothing to wait for.
  if (!isObject(config) || !Array.isArray(config.layers) || root.class_name === 'Sequential') return;
  const nodesOf = new Map<string, number>();
  for (const layer of config.layers as unknown[]) {
    if (!isObject(layer) || typeof layer.name !== 'string') throw damaged('has a layer without a name');
    if (nodesOf.has(layer.name)) throw damaged(`has two layers named '${layer.name}'`);
    const inbound = layer.inbound_nodes ?? [];
    if (!Array.isArray(inbound)) throw damaged(`has a layer '${layer.name}' whose inbound nodes are not a list`);
    // An input layer with no inbound nodes still has its one node.
    nodesOf.set(layer.name, Math.max(1, inbound.length));
  }
  const edges = new Map<string, string[]>();
  const ref = (entry: unknown, context: string): string => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') throw damaged(`${context} is not [layer, node, tensor]`);
    const [name, node] = entry as [string, unknown];
    const nodes = nodesOf.get(name);
    if (nodes === undefined) throw damaged(`${context} names a layer '${name}' it does not have`);
    if (!Number.isInteger(node) || (node as number) < 0 || (node as number) >= nodes) throw damaged(`${context} asks for node ${String(node)} of '${name}', which has ${nodes}`);
    return name;
  };
  for (const layer of config.layers as Json[]) {
    const deps: string[] = [];
    for (const node of layer.inbound_nodes as unknown[]) {
      if (!Array.isArray(node)) throw damaged(`has an inbound node of '${String(layer.name)}' that is not a list`);
      for (const entry of node) deps.push(ref(entry, `layer '${String(layer.name)}'`));
    }
    edges.set(layer.name as string, deps);
  }
  for (const key of ['input_layers', 'output_layers'] as const) {
    const list = config[key];
    if (!Array.isArray(list) || list.length === 0) throw damaged(`has no ${key}`);
    for (const entry of list) ref(entry, key);
  }
  // Depth-first search for a cycle: a layer fed by its own output would never be built.
  const state = new Map<string, 1 | 2>();
  const visit = (name: string): void => {
    const s = state.get(name);
    if (s === 2) return;
    if (s === 1) throw damaged(`has a cycle through layer '${name}'`);
    state.set(name, 1);
    for (const dep of edges.get(name) ?? []) visit(dep);
    state.set(name, 2);
  };
  for (const name of edges.keys()) visit(name);
}
