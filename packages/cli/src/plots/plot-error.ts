import { ArcfaceError } from '@arcface/core';

/** Input a chart cannot draw: no series, a series with no finite point, mismatched arrays. */
export class PlotInputError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_PLOT_INPUT', message);
  }
}
