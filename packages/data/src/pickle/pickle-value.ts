/** A Python tuple, kept apart from lists so callers can tell `(a, b)` from `[a, b]`. */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python set or frozenset read from a pickle. */
export class PickleSet {
  constructor(readonly items: PickleValue[]) {}
}

/**
 * A global the caller allowed through {@link UnpickleOptions.globals}: `GLOBAL module name` pushes
 * it and `REDUCE` calls {@link PickleGlobal.call} with the argument tuple's items. Only functions
 * the caller wrote run; nothing from the stream is imported or evaluated.
 */
export class PickleGlobal {
  constructor(
    readonly name: string,
    readonly call: (args: readonly PickleValue[]) => PickleValue,
  ) {}
}

/** An object one of the caller's {@link PickleGlobal}s made (a tensor, a storage): opaque to the reader. */
export class PickleObject {
  constructor(
    readonly type: string,
    readonly value: unknown,
  ) {}
}

/**
 * The data a data-only pickle can hold: None → null, bool, int (number, or bigint beyond 2^53),
 * float, str (JS string), bytes and Python 2 `str` (Uint8Array: undecoded, as
 * `pickle.load(f, encoding='bytes')`), list (array), tuple, dict (Map), set.
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleSet
  | Map<PickleValue, PickleValue>
  | PickleGlobal
  | PickleObject;
