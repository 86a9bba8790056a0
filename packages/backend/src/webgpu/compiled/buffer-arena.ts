import type { Step, Storage } from './schedule';

/** Which arena buffer each non-persistent storage uses, and the arena's buffer sizes. */
export interface ArenaPlan {
  readonly slotOf: ReadonlyMap<Storage, number>;
  readonly sizes: readonly number[];
}

/**
 * Lifetimes from the schedule (first to last step that binds or copies a storage), then
 * best-fit reuse: a storage takes the smallest free buffer large enough, or a new one. Every
 * storage's first use writes all of it, so a reused buffer needs no clearing; two storages
 * bound by one step are both alive then and never share a buffer.
 */
export function planArena(steps: readonly Step[]): ArenaPlan {
  const first = new Map<Storage, number>();
  const last = new Map<Storage, number>();
  const touch = (s: Storage, at: number) => {
    if (s.persistent) return;
    if (!first.has(s)) first.set(s, at);
    last.set(s, at);
  };
  steps.forEach((step, at) => {
    if (step.kind === 'kernel') for (const b of step.spec.bindings) touch(b.storage, at);
    else {
      touch(step.from, at);
      touch(step.to, at);
    }
  });
  const order = [...first.keys()].sort((a, b) => (first.get(a) as number) - (first.get(b) as number));
  const sizes: number[] = [];
  const busyUntil: number[] = [];
  const slotOf = new Map<Storage, number>();
  for (const s of order) {
    const start = first.get(s) as number;
    let best = -1;
    for (let i = 0; i < sizes.length; i++) {
      if ((busyUntil[i] as number) < start && (sizes[i] as number) >= s.bytes && (best < 0 || (sizes[i] as number) < (sizes[best] as number))) best = i;
    }
    if (best < 0) {
      best = sizes.length;
      sizes.push(s.bytes);
      busyUntil.push(-1);
    }
    slotOf.set(s, best);
    busyUntil[best] = last.get(s) as number;
  }
  return { slotOf, sizes };
}
