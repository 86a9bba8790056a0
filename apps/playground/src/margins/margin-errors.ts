import { ArcfaceError } from '@arcface/core';

/** A margin option or plugin the page cannot use; the message names the value. */
export class PlaygroundMarginError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_PLAYGROUND_MARGIN', message);
  }
}
