import * as tf from '@tensorflow/tfjs-core';

/**
 * Backpropagation that frees memory as it goes, installed in place of the tfjs engine's own.
 *
 * tfjs-core 4.22's `engine.gradients` keeps, until the whole backward pass ends, every
 * intermediate gradient and every tensor a kernel saved for its gradient. A training step
 * therefore peaks at (saved activations + one gradient per intermediate tensor): for
 * MobileFaceNet at 112×112 about 2.4× the forward pass, which is what makes a batch of 64
 * overflow the wasm backend's 32-bit heap. PyTorch frees each saved tensor and each gradient
 * as soon as the last node that needs it has run; this does the same:
 *
 * - once a node's gradient has run, the gradients of its outputs are final and consumed (every
 *   consumer of a tensor comes after its producer on the tape), so they are released;
 * - the tensors the node saved for its gradient are released at the same time;
 * - a gradient added into an accumulated one is released after the addition.
 *
 * The arithmetic is unchanged (same kernels, same order, same additions), so gradients are
 * bit-identical to tfjs'. Higher-order gradients (a tape still recording outside) keep tfjs'
 * behaviour: an outer gradient may need the saved tensors and the intermediate gradients.
 */

interface TapeNode {
  readonly id: number;
  readonly kernelName: string;
  readonly outputs: tf.Tensor[];
  readonly inputs: Record<string, tf.Tensor>;
  readonly gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
  readonly saved?: tf.Tensor[];
}

/** The parts of tfjs-core's `Engine` this file relies on (present and stable since tfjs 2). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
  tidy<T extends tf.TensorContainer>(f: () => T): T;
  gradients: GradientsFn;
}

type GradientsFn = <T extends tf.Tensor>(
  f: () => T,
  xs: tf.Tensor[],
  dy?: T,
  allowNoGradients?: boolean,
) => { value: T; grads: tf.Tensor[] };

const INSTALLED = Symbol.for('@arcface/backend:lean-backprop');

/** The nodes on a path from some x to y, each with only the inputs that depend on an x. */
function nodesFromXsToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => t != null && fromX.has(t.id))) {
      nodesFromX.add(node.id);
      for (const out of node.outputs) fromX.add(out.id);
    }
  }
  const toY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((out) => toY.has(out.id))) {
      nodesToY.add(node.id);
      for (const t of Object.values(node.inputs)) if (t != null) toY.add(t.id);
    }
  }
  return tape
    .filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({
      ...node,
      inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, t]) => t != null && fromX.has(t.id))),
    }));
}

/**
 * Accumulated gradients by tensor id. The same tensor object can be the gradient of several
 * ids (an identity's gradient is its dy), so a tensor is disposed only when no id holds it.
 */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly holders = new Map<tf.Tensor, number>();

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  holds(t: tf.Tensor): boolean {
    return this.holders.has(t);
  }

  set(id: number, t: tf.Tensor): void {
    this.delete(id);
    this.byId.set(id, t);
    this.holders.set(t, (this.holders.get(t) ?? 0) + 1);
  }

  /** Drops the entry; returns the tensor when nothing else holds it any more. */
  delete(id: number): tf.Tensor | undefined {
    const t = this.byId.get(id);
    if (t === undefined) return undefined;
    this.byId.delete(id);
    const left = (this.holders.get(t) ?? 1) - 1;
    if (left > 0) {
      this.holders.set(t, left);
      return undefined;
    }
    this.holders.delete(t);
    return t;
  }
}

function checkGradient(node: TapeNode, inputName: string, dx: tf.Tensor, x: tf.Tensor): void {
  if (dx.dtype !== 'float32') {
    throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${inputName} must have 'float32' dtype, but has '${dx.dtype}'`);
  }
  if (!tf.util.arraysEqual(dx.shape, x.shape)) {
    throw new Error(
      `Error in gradient for op ${node.kernelName}. The gradient of input '${inputName}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
    );
  }
}

function leanGradients(engine: EngineInternals): GradientsFn {
  return function gradients<T extends tf.Tensor>(f: () => T, xs: tf.Tensor[], dy?: T, allowNoGradients = false) {
    tf.util.assert(xs.length > 0, () => 'gradients() received an empty list of xs.');
    if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    const y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => engine.tidy('forward', f),
    );
    tf.util.assert(y != null && typeof (y as { dataId?: unknown }).dataId === 'object', () => 'The result y returned by f() must be a tensor.');
    const tape = engine.state.activeTape ?? [];
    const nodes = nodesFromXsToY(tape, xs, y);
    if (!allowNoGradients && nodes.length === 0 && xs.length > 0) {
      throw new Error(
        'Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.',
      );
    }
    return engine.tidy('backward', () => {
      // Depth 0: no outer tape records this backward pass, so nothing outside needs what we free.
      const lean = engine.state.gradientDepth === 0;
      const requested = new Set(xs.map((x) => x.id));
      const release = (t: tf.Tensor | undefined) => {
        if (t !== undefined && t !== dy) t.dispose();
      };
      const grads = new GradientMap();
      grads.set(y.id, dy ?? tf.ones(y.shape));
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i] as TapeNode;
        const dys = node.outputs.map((out) => grads.get(out.id) ?? null);
        if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
        const thunks = node.gradient(dys);
        for (const inputName in node.inputs) {
          if (!(inputName in thunks)) {
            throw new Error(`Cannot backprop through input ${inputName}. Available gradients found: ${Object.keys(thunks)}.`);
          }
          const dx = engine.tidy(() => (thunks[inputName] as () => tf.Tensor)());
          const x = node.inputs[inputName] as tf.Tensor;
          checkGradient(node, inputName, dx, x);
          const current = grads.get(x.id);
          if (current === undefined) {
            grads.set(x.id, dx);
          } else {
            grads.set(x.id, tf.add(current, dx));
            // As in tfjs, the previous sum is released; dx too when nothing else holds it.
            if (!grads.holds(current)) release(current);
            if (lean && !grads.holds(dx)) release(dx);
          }
        }
        if (!lean) continue;
        for (const out of node.outputs) {
          if (!requested.has(out.id)) release(grads.delete(out.id));
        }
        for (const t of node.saved ?? []) if (!grads.holds(t)) t.dispose();
      }
      const result = xs.map((x) => grads.get(x.id) as tf.Tensor);
      if (lean) {
        // As in tfjs: the outermost pass owns the tape and frees what every node saved.
        for (const node of tape) for (const t of node.saved ?? []) t.dispose();
        engine.state.activeTape = null;
      }
      return { value: y, grads: result };
    });
  } as GradientsFn;
}

/**
 * Makes every tfjs gradient (`tf.grads`, `tf.variableGrads`, `optimizer.minimize`, …) free
 * saved activations and intermediate gradients as soon as backpropagation is past them. The
 * peak memory of a training step falls to about what PyTorch needs; results are unchanged.
 * Idempotent. Returns a function that restores tfjs' own backpropagation.
 */
export function enableLeanBackprop(): () => void {
  const engine = tf.engine() as unknown as EngineInternals & Installed;
  if (engine[INSTALLED] !== undefined) return () => disableLeanBackprop();
  // What was there before: tfjs' prototype method, or another library's own property.
  const previous = Object.getOwnPropertyDescriptor(engine, 'gradients');
  Object.defineProperty(engine, 'gradients', { value: leanGradients(engine), configurable: true, writable: true });
  Object.defineProperty(engine, INSTALLED, { value: { previous }, configurable: true, enumerable: false, writable: true });
  return () => disableLeanBackprop();
}

/** Restores the engine's `gradients` as it was before {@link enableLeanBackprop} (a no-op when the lean one is not installed). */
export function disableLeanBackprop(): void {
  const engine = tf.engine() as unknown as EngineInternals & Installed;
  const installed = engine[INSTALLED];
  if (installed === undefined) return;
  if (installed.previous === undefined) delete (engine as Partial<EngineInternals>).gradients;
  else Object.defineProperty(engine, 'gradients', installed.previous);
  delete engine[INSTALLED];
}

/** Whether {@link enableLeanBackprop} is in effect. */
export function isLeanBackpropEnabled(): boolean {
  return (tf.engine() as unknown as Installed)[INSTALLED] !== undefined;
}

interface Installed {
  [INSTALLED]?: { previous: PropertyDescriptor | undefined };
}
