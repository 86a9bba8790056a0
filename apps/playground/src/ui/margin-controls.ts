import { ADDITIVE_ANGULAR_BOUNDARIES, COMBINED_BOUNDARIES, type MarginOptions } from '@arcface/margins';
import { h } from './dom';

/** The page's margin parameters, shared by the curves, the toy and custom margins. */
export interface MarginParameters {
  s: number;
  m: number;
  sphereM: number;
  lambda: number;
  m1: number;
  m2: number;
  m3: number;
  arcBoundary: string;
  combinedBoundary: string;
}

export const DEFAULT_PARAMETERS: MarginParameters = {
  s: 16,
  m: 0.5,
  sphereM: 4,
  lambda: 5,
  m1: 1,
  m2: 0.3,
  m3: 0.2,
  arcBoundary: 'thmm',
  combinedBoundary: 'reflect',
};

/** Each margin's options from the shared parameters (custom margins read them all). */
export function optionsFor(name: string, p: MarginParameters): MarginOptions {
  switch (name) {
    case 'additive-angular':
      return { m: p.m, s: p.s, boundary: p.arcBoundary };
    case 'additive-cosine':
      return { m: Math.min(p.m, 1), s: p.s };
    case 'multiplicative-angular':
      return { m: p.sphereM, s: p.s, lambda: p.lambda };
    case 'combined':
      return { m1: p.m1, m2: p.m2, m3: p.m3, s: p.s, boundary: p.combinedBoundary };
    case 'softmax-normalized':
      return { s: p.s };
    default:
      return { m: p.m, m1: p.m1, m2: p.m2, m3: p.m3, lambda: p.lambda, s: p.s };
  }
}

interface SliderSpec {
  readonly key: keyof MarginParameters;
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** λ spans 0…1000: the slider moves log10(1 + λ). */
  readonly log?: boolean;
}

const SLIDERS: readonly SliderSpec[] = [
  { key: 's', label: 's (scale)', min: 1, max: 64, step: 1 },
  { key: 'm', label: 'm (ArcFace, CosFace)', min: 0, max: 1, step: 0.01 },
  { key: 'm1', label: 'm1', min: 0.5, max: 2, step: 0.01 },
  { key: 'm2', label: 'm2', min: 0, max: 1, step: 0.01 },
  { key: 'm3', label: 'm3', min: 0, max: 0.6, step: 0.01 },
  { key: 'sphereM', label: 'm (SphereFace)', min: 1, max: 6, step: 1 },
  { key: 'lambda', label: 'λ (SphereFace)', min: 0, max: 3, step: 0.01, log: true },
];

/** Sliders and selects that edit `params` in place and call `onChange` after each edit. */
export function marginControls(params: MarginParameters, onChange: () => void): HTMLElement {
  const rows: HTMLElement[] = [];
  for (const spec of SLIDERS) {
    const key = spec.key as keyof MarginParameters;
    const current = params[key] as number;
    const output = h('output', {}, format(current));
    const input = h('input', {
      type: 'range',
      min: spec.min,
      max: spec.max,
      step: spec.step,
      value: spec.log ? Math.log10(1 + current) : current,
      'data-testid': `param-${key}`,
      'aria-label': spec.label,
    });
    input.addEventListener('input', () => {
      const raw = Number(input.value);
      const value = spec.log ? Math.round((10 ** raw - 1) * 100) / 100 : raw;
      (params as unknown as Record<string, number>)[key] = value;
      output.textContent = format(value);
      onChange();
    });
    rows.push(h('label', { class: 'control' }, h('span', {}, spec.label), input, output));
  }
  rows.push(select('boundary (ArcFace)', 'arcBoundary', ADDITIVE_ANGULAR_BOUNDARIES, params, onChange));
  rows.push(select('boundary (combined)', 'combinedBoundary', COMBINED_BOUNDARIES, params, onChange));
  return h('div', { class: 'controls' }, ...rows);
}

function select(label: string, key: 'arcBoundary' | 'combinedBoundary', values: readonly string[], params: MarginParameters, onChange: () => void): HTMLElement {
  const element = h('select', { 'data-testid': `param-${key}`, 'aria-label': label }, ...values.map((v) => h('option', { value: v, selected: v === params[key] }, v)));
  element.addEventListener('change', () => {
    params[key] = element.value;
    onChange();
  });
  return h('label', { class: 'control' }, h('span', {}, label), element, h('output', {}));
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
