import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { PluginError } from './cli-errors';

/**
 * Registers the margins of @arcface/margins-contrib (AdaFace, CurricularFace, MagFace, …), then
 * those of every `--plugin` module, before a command runs. Only the CLI does this: the library
 * registers nothing on import.
 *
 * A plugin is a module specifier or a file path. Its exported functions whose names start with
 * `register` are called with no arguments; without any, a default export function is.
 */
export async function loadMarginPlugins(plugins: readonly string[], cwd = process.cwd()): Promise<void> {
  const [{ listMargins }, { registerContribMargins, CONTRIB_MARGINS }] = await Promise.all([
    import('@arcface/margins'),
    import('@arcface/margins-contrib'),
  ]);
  // Idempotent: a second CLI run in the same process (tests, embedders) finds them registered.
  const known = new Set(listMargins());
  if (!Object.keys(CONTRIB_MARGINS).every((name) => known.has(name))) registerContribMargins();
  for (const plugin of plugins) await loadPlugin(plugin, cwd);
}

async function loadPlugin(plugin: string, cwd: string): Promise<void> {
  // Paths ('./my-margin.mjs', '/abs/x.js') are imported as files; anything else as a package.
  const looksLikePath = plugin.startsWith('.') || isAbsolute(plugin) || existsSync(resolve(cwd, plugin));
  const target = looksLikePath ? pathToFileURL(resolve(cwd, plugin)).href : plugin;
  let module: Record<string, unknown>;
  try {
    module = (await import(target)) as Record<string, unknown>;
  } catch (cause) {
    throw new PluginError(`--plugin '${plugin}' could not be imported: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const registers = Object.entries(module).filter(([name, value]) => name.startsWith('register') && typeof value === 'function');
  if (registers.length > 0) {
    for (const [, fn] of registers) await (fn as () => unknown)();
    return;
  }
  const fallback = module.default;
  if (typeof fallback === 'function' && fallback.length === 0) {
    await (fallback as () => unknown)();
    return;
  }
  throw new PluginError(
    `--plugin '${plugin}' exports no register* function and no default function taking no arguments; export e.g. registerMyMargins() that calls registerMargin`,
  );
}
