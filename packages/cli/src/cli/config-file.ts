import { readFile } from 'node:fs/promises';

import type { Command } from 'commander';

import { ConfigFileError } from './cli-errors';

/**
 * Reads a JSON config file: an object whose keys are the command's long option names in
 * camelCase or kebab-case (`"batchSize": 64` or `"batch-size": 64`).
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigFileError(`cannot read config file '${path}'; check the path given to --config`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigFileError(`config file '${path}' is not valid JSON (${detail}); fix the syntax, e.g. {"steps": 100, "margin": "additive-angular"}`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigFileError(`config file '${path}' must hold a JSON object of options, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

function camelCase(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Applies a config file to a command's options: a value from the file is used unless the same
 * option was given on the command line (flags win). Unknown keys are an error that lists the
 * known ones, so a typo does not pass silently.
 */
export async function applyConfigFile(command: Command, path: string): Promise<void> {
  const config = await readConfigFile(path);
  const known = new Map(command.options.map((o) => [o.attributeName(), o] as const));
  for (const [rawKey, value] of Object.entries(config)) {
    const key = camelCase(rawKey);
    const option = known.get(key);
    if (option === undefined || key === 'config') {
      const names = [...known.keys()].filter((k) => k !== 'config' && k !== 'verbose');
      throw new ConfigFileError(`config file '${path}': unknown option '${rawKey}' for 'arcface ${command.name()}'; known: ${names.join(', ')}`);
    }
    if (command.getOptionValueSource(key) === 'cli') continue;
    // Flags take strings; a number or object in the file becomes the string the flag would be.
    const asFlag = typeof value === 'string' || typeof value === 'boolean' ? value : option.isBoolean() ? Boolean(value) : typeof value === 'number' ? String(value) : JSON.stringify(value);
    command.setOptionValueWithSource(key, asFlag, 'config');
  }
}
