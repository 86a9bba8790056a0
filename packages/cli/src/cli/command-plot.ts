import { writeFile } from 'node:fs/promises';

import { createMargin } from '@arcface/margins';

import { DEMO_MARGINS } from '../demo/demo-settings';
import { svgToPng } from '../plots/render';
import { plotTargetLogitCurves } from '../plots/target-logit-curves';
import { OptionValueError } from './cli-errors';
import { jsonObject } from './command-train';

export interface PlotMarginsOptions {
  readonly margins?: string;
  readonly marginOptions?: string;
  readonly out: string;
  readonly step?: string;
}

/**
 * `arcface plot margins`: the paper's Fig. 4b, target logit t(θ) of each margin, to SVG or PNG.
 * Without `--margins` it draws the five margins of the demo with the paper's values.
 */
export async function plotMarginsCommand(options: PlotMarginsOptions, write: (text: string) => void): Promise<void> {
  const svgOut = options.out.endsWith('.svg');
  if (!svgOut && !options.out.endsWith('.png')) throw new OptionValueError(`--out must end in .svg or .png, got '${options.out}'`);
  // --margin-options maps a margin name to its options: '{"additive-angular": {"m": 0.3}}'.
  const perName = jsonObject('margin-options', options.marginOptions);
  const names = options.margins?.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  const list = names === undefined ? DEMO_MARGINS.map((m) => ({ label: m.label, name: m.name, options: m.options })) : names.map((name) => ({ label: name, name, options: {} }));
  const series = list.map((m) => {
    const extra = perName[m.name];
    const options = { ...m.options, ...(extra !== null && typeof extra === 'object' && !Array.isArray(extra) ? extra : {}) };
    const margin = createMargin(m.name, options);
    return { name: `${m.label} (${Object.entries(margin.options).filter(([k]) => k !== 's' && k !== 'gradient').map(([k, v]) => `${k}=${String(v)}`).join(', ')})`, margin };
  });
  const step = options.step === undefined ? undefined : Number(options.step);
  const plot = await plotTargetLogitCurves(series, step === undefined ? {} : { step });
  await writeFile(options.out, svgOut ? plot.svg : await svgToPng(plot.svg, { scale: 2 }));
  write(`wrote ${series.length} target-logit curves to ${options.out}\n`);
}
