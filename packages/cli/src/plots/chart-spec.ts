import type { TopLevelSpec } from 'vega-lite';

/**
 * A Vega-Lite specification as plain JSON. Public signatures use this rather than vega-lite's
 * own `TopLevelSpec`: vega-lite is an ECMAScript-only package, so declarations that import its
 * types cannot be loaded by CommonJS consumers under `moduleResolution: node16`.
 */
export type ChartSpec = { readonly [key: string]: unknown };

/** Checks a spec against Vega-Lite's types where it is written, then hands it out as JSON. */
export function chartSpec(spec: TopLevelSpec): ChartSpec {
  return spec as unknown as ChartSpec;
}

/** Back to Vega-Lite's type, for the renderer. */
export function toTopLevelSpec(spec: ChartSpec): TopLevelSpec {
  return spec as unknown as TopLevelSpec;
}
