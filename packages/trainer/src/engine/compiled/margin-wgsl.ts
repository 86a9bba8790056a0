import { ACOS_GRADIENT_EPSILON } from '@arcface/core';
import { sphereFaceLambda, type MarginFn, type SphereFaceLambdaSchedule } from '@arcface/margins';
import { UncompilableModelError, type GraphHead } from '@arcface/backend';

/** A margin in the compiled step's form: its WGSL and its per-step parameter. */
export interface CompiledMargin {
  readonly margin: GraphHead['margin'];
  /** `p` at a step (SphereFace's λ); 0 for the others. */
  parameter(step: number): number;
}

const lit = (v: number): string => {
  const text = Math.fround(v).toPrecision(9);
  return `f32(${/[.e]/.test(text) ? text : `${text}.0`})`;
};

// The helpers every margin's WGSL may use; float32 twins of @arcface/margins' cosine-math.
const COMMON = `
fn sin_from_cos(c: f32) -> f32 { return sqrt(max((1.0 - c) * (1.0 + c), 0.0)); }
fn clamp_for_gradient(c: f32) -> f32 { return clamp(c, ${lit(-1 + ACOS_GRADIENT_EPSILON)}, ${lit(1 - ACOS_GRADIENT_EPSILON)}); }`;

/**
 * The built-in target margins as WGSL: the same formulas and boundary policies as their tensor
 * forms in `@arcface/margins`. Margins that move non-target logits, read feature norms, keep
 * running state or add a regulariser are refused (the eager path trains them).
 */
export function compileMargin(margin: MarginFn): CompiledMargin {
  const o = margin.options as Record<string, unknown>;
  const refuse = (why: string): never => {
    throw new UncompilableModelError(`margin '${margin.name}': ${why}`);
  };
  if (margin.regularizer !== undefined) refuse('a regulariser is not compiled');
  if (margin.readState !== undefined) refuse('a margin with running state is not compiled');
  let target: string;
  let slope: string;
  let parameter: (step: number) => number = () => 0;
  let helpers = '';
  switch (margin.name) {
    case 'softmax-normalized':
      target = 'return c;';
      slope = 'return 1.0;';
      break;
    case 'additive-cosine':
      target = `return c - ${lit(o['m'] as number)};`;
      slope = 'return 1.0;';
      break;
    case 'additive-angular': {
      const m = o['m'] as number;
      const boundary = o['boundary'] as string;
      const th = lit(Math.cos(Math.PI - m));
      const shifted = (c: string) => `${c} * ${lit(Math.cos(m))} - sin_from_cos(${c}) * ${lit(Math.sin(m))}`;
      target = `let shifted = ${shifted('c')};
  ${
    {
      none: 'return shifted;',
      easy: 'return select(c, shifted, c > 0.0);',
      thmm: `return select(c - ${lit(m * Math.sin(m))}, shifted, c > ${th});`,
      reflect: `return select(-2.0 - shifted, shifted, c >= ${th});`,
    }[boundary] ?? refuse(`boundary '${boundary}'`)
  }`;
      slope = `let inner = clamp_for_gradient(c);
  let shifted = ${lit(Math.cos(m))} + inner * ${lit(Math.sin(m))} / sin_from_cos(inner);
  ${
    {
      none: 'return shifted;',
      easy: 'return select(1.0, shifted, c > 0.0);',
      thmm: `return select(1.0, shifted, c > ${th});`,
      reflect: `return select(-shifted, shifted, c >= ${th});`,
    }[boundary] as string
  }`;
      break;
    }
    case 'combined': {
      const m1 = o['m1'] as number;
      const m2 = o['m2'] as number;
      const m3 = o['m3'] as number;
      const turn = (Math.PI - m2) / m1;
      const reflects = o['boundary'] === 'reflect' && turn < Math.PI;
      const threshold = lit(Math.cos(turn));
      const shifted =
        m1 === 1
          ? `c * ${lit(Math.cos(m2))} - sin_from_cos(c) * ${lit(Math.sin(m2))}`
          : `cos(acos(clamp(c, -1.0, 1.0)) * ${lit(m1)} + ${lit(m2)})`;
      target = `let value = ${shifted} - ${lit(m3)};
  ${reflects ? `return select(${lit(2 * (-1 - m3))} - value, value, c > ${threshold});` : 'return value;'}`;
      slope = `let inner = clamp_for_gradient(c);
  let theta = acos(inner);
  let s = sin(theta * ${lit(m1)} + ${lit(m2)}) * ${lit(m1)} / sin_from_cos(inner);
  ${reflects ? `return select(-s, s, c > ${threshold});` : 'return s;'}`;
      break;
    }
    case 'multiplicative-angular': {
      const m = o['m'] as number;
      const fixed = o['lambda'] as number | null;
      const schedule = o as unknown as SphereFaceLambdaSchedule;
      parameter = (step) => (fixed !== null ? fixed : sphereFaceLambda(step, schedule));
      const thresholds = Array.from({ length: m - 1 }, (_, j) => lit(Math.cos(((j + 1) * Math.PI) / m)));
      const k = thresholds.length === 0 ? '0.0' : thresholds.map((t) => `select(0.0, 1.0, c <= ${t})`).join(' + ');
      // T_m and U_{m−1} by their recurrences, as the tensor form.
      const chebyshev = (n: number, kind: 'T' | 'U') => (n === 0 ? '1.0' : `chebyshev_${kind}(c, ${n}u)`);
      target = `let k = ${k};
  let sign = 1.0 - 2.0 * (k - 2.0 * floor(k / 2.0));
  return (sign * ${chebyshev(m, 'T')} - 2.0 * k + c * p) / (1.0 + p);`;
      slope = `let k = ${k};
  let sign = 1.0 - 2.0 * (k - 2.0 * floor(k / 2.0));
  return (sign * ${chebyshev(m - 1, 'U')} * ${lit(m)} + p) / (1.0 + p);`;
      helpers = `
fn chebyshev_T(c: f32, n: u32) -> f32 { var a = 1.0; var b = c; for (var i = 1u; i < n; i = i + 1u) { let t = 2.0 * c * b - a; a = b; b = t; } return b; }
fn chebyshev_U(c: f32, n: u32) -> f32 { var a = 1.0; var b = 2.0 * c; for (var i = 1u; i < n; i = i + 1u) { let t = 2.0 * c * b - a; a = b; b = t; } return b; }`;
      break;
    }
    default:
      return refuse('only the built-in target margins are compiled (softmax-normalized, additive-angular, additive-cosine, multiplicative-angular, combined)');
  }
  return {
    margin: {
      name: margin.name,
      scale: margin.scale,
      straightThrough: margin.gradient === 'straight-through',
      wgsl: `${COMMON}${helpers}
fn margin_target(c: f32, p: f32) -> f32 {
  ${target}
}
fn margin_slope(c: f32, p: f32) -> f32 {
  ${slope}
}`,
    },
    parameter,
  };
}
