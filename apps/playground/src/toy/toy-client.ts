import type { ToyCommand, ToyEvent } from './toy-protocol';

/** The page's handle on the training worker: typed messages both ways, and a restart. */
export class ToyClient {
  private worker: Worker;

  constructor(private readonly onEvent: (event: ToyEvent) => void) {
    this.worker = this.spawn();
  }

  send(command: ToyCommand): void {
    this.worker.postMessage(command);
  }

  /** A fresh worker: the only way to switch TensorFlow.js backends cleanly. */
  restart(): void {
    this.worker.terminate();
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./toy-worker.ts', import.meta.url), { type: 'module', name: 'toy-training' });
    worker.onmessage = (message: MessageEvent<ToyEvent>) => this.onEvent(message.data);
    worker.onerror = (event) => this.onEvent({ type: 'error', message: event.message || 'the training worker failed to start' });
    return worker;
  }
}
