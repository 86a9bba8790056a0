import * as tf from '@tensorflow/tfjs-core';

/**
 * A record of the changes made to tfjs and to the process's globals, each with how to undo it,
 * so that whoever made them can put everything back as it was. tfjs keeps its kernels, its
 * gradients, its flags and its engine in process-wide registries shared with every other model
 * in the application: whatever this package changes there must be taken back on request.
 *
 * Undo runs the records newest first. Each record restores the value it saw before its first
 * change (the same kernel config and gradient objects, so identity is kept), however often the
 * same thing was changed afterwards.
 */
export class ChangeJournal {
  private readonly undos: Array<() => void> = [];
  private readonly kernels = new Set<string>();
  private readonly gradients = new Set<string>();
  private readonly properties = new Map<object, Set<PropertyKey>>();

  /** Registers `config`, replacing the kernel of that name and backend if any. */
  registerKernel(config: tf.KernelConfig): void {
    const key = `${config.backendName}/${config.kernelName}`;
    const existing = tf.getKernel(config.kernelName, config.backendName);
    if (!this.kernels.has(key)) {
      this.kernels.add(key);
      this.undos.push(() => {
        if (tf.getKernel(config.kernelName, config.backendName) !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
        if (existing !== undefined) tf.registerKernel(existing);
      });
    }
    // Unregister first: tfjs warns, and keeps going, when a name is registered twice.
    if (existing !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }

  /** Registers a gradient (global in tfjs: it serves every backend). */
  registerGradient(config: tf.GradConfig): void {
    if (!this.gradients.has(config.kernelName)) {
      this.gradients.add(config.kernelName);
      const existing = tf.getGradient(config.kernelName);
      this.undos.push(() => {
        if (existing !== undefined) tf.registerGradient(existing);
        else if (tf.getGradient(config.kernelName) !== undefined) tf.unregisterGradient(config.kernelName);
      });
    }
    tf.registerGradient(config);
  }

  /**
   * Defines `key` on `target` (a global, an engine method, a module's export object); undo puts
   * back its own property descriptor, or deletes it where there was none.
   */
  defineProperty(target: object, key: PropertyKey, descriptor: PropertyDescriptor): void {
    this.remember(target, key);
    Object.defineProperty(target, key, { configurable: true, ...descriptor });
  }

  /** Remembers `key` of `target` as it is now, to be put back by {@link undo}, before something else changes it. */
  remember(target: object, key: PropertyKey): void {
    let keys = this.properties.get(target);
    if (keys === undefined) this.properties.set(target, (keys = new Set()));
    if (keys.has(key)) return;
    keys.add(key);
    const before = Object.getOwnPropertyDescriptor(target, key);
    this.undos.push(() => {
      if (before === undefined) Reflect.deleteProperty(target, key);
      else Object.defineProperty(target, key, before);
    });
  }

  /**
   * Remembers tfjs' flags as they are now. Undo takes back what changed between now and
   * {@link sealFlags} (or the undo itself, unsealed): flags changed are set back (running
   * their hooks), flags set or evaluated are forgotten (tfjs evaluates them again on next use).
   * A flag changed again after sealing, by someone else, is left as they set it.
   */
  rememberFlags(): void {
    const environment = tf.env() as unknown as { flags: Record<string, number | boolean | string> };
    const before = { ...environment.flags };
    const record = { before, after: undefined as Record<string, number | boolean | string> | undefined };
    this.flagRecords.push(record);
    this.undos.push(() => {
      const after = record.after ?? { ...environment.flags };
      for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
        if (before[name] === after[name] || environment.flags[name] !== after[name]) continue;
        if (!(name in before)) delete environment.flags[name];
        else tf.env().set(name, before[name] as number | boolean | string);
      }
    });
  }

  /** Ends the window of the flag records so far: changes made after this are not taken back. */
  sealFlags(): void {
    const environment = tf.env() as unknown as { flags: Record<string, number | boolean | string> };
    for (const record of this.flagRecords) record.after ??= { ...environment.flags };
  }

  private readonly flagRecords: Array<{ before: Record<string, number | boolean | string>; after: Record<string, number | boolean | string> | undefined }> = [];

  /** Runs `undo` with the rest, in reverse order of recording. */
  onUndo(undo: () => void): void {
    this.undos.push(undo);
  }

  /** Whether anything has been recorded. */
  get empty(): boolean {
    return this.undos.length === 0;
  }

  /**
   * Undoes every recorded change, newest first, and empties the journal. Every undo runs even
   * when one throws; the first error is rethrown at the end.
   */
  undo(): void {
    let failure: { error: unknown } | undefined;
    while (this.undos.length > 0) {
      const undo = this.undos.pop() as () => void;
      try {
        undo();
      } catch (error) {
        failure ??= { error };
      }
    }
    this.kernels.clear();
    this.gradients.clear();
    this.properties.clear();
    this.flagRecords.length = 0;
    if (failure !== undefined) throw failure.error;
  }
}
