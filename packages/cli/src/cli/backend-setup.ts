import { BACKEND_NAMES, describeBackendSelection, selectBackend, type BackendName } from '@arcface/backend';

import { OptionValueError } from './cli-errors';

export const BACKEND_CHOICES = ['auto', ...BACKEND_NAMES.filter((n) => n !== 'webgl')] as const;

/**
 * Activates the backend the user asked for (`auto`: the fastest that works here, tried in
 * `@arcface/backend`'s order) and loads tfjs-layers, which registers the gradient functions
 * that training the backbones needs. Returns the tfjs backend name and a one-line reason.
 */
export async function setUpBackend(choice: string, verbose: boolean, log: (line: string) => void): Promise<{ backend: string; note: string }> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new OptionValueError(`unknown backend '${choice}'; use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  await import('@tensorflow/tfjs-layers');
  const selection =
    choice === 'auto' ? await selectBackend() : await selectBackend({ candidates: [choice as BackendName] });
  const description = describeBackendSelection(selection);
  if (verbose) log(description);
  const chosen = selection.candidates.find((c) => c.name === selection.name);
  return { backend: selection.chosen, note: chosen?.reason ?? '' };
}
