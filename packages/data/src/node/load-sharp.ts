import type sharpModule from 'sharp';
import { MissingSharpError } from '../errors';

let loaded: Promise<typeof sharpModule> | undefined;

/**
 * sharp, imported on first use: it is an optional peer dependency, needed only to decode image
 * files, so importing `@arcface/data/node` works without it and the first decode says what to
 * install.
 */
export function loadSharp(): Promise<typeof sharpModule> {
  loaded ??= import('sharp').then(
    (module) => (module as { default?: typeof sharpModule }).default ?? (module as unknown as typeof sharpModule),
    (error: unknown) => {
      loaded = undefined;
      throw new MissingSharpError(error);
    },
  );
  return loaded;
}
