import { checkMargin, createMargin, listMargins } from '@arcface/margins';
import { colorAt, SERIES_COLORS } from '../plot/colors';
import { renderLinePlot, type LineSeries } from '../plot/line-plot';
import { h } from './dom';
import { optionsFor, type MarginParameters } from './margin-controls';
import { plotCard } from './plot-card';

const SAMPLES = 361;

/** Samples t(θ) of a margin at θ = 0…180°. Options the margin refuses give an error string. */
export function sampleCurve(name: string, params: MarginParameters): { points: [number, number][] } | { error: string } {
  try {
    const margin = createMargin(name, optionsFor(name, params));
    const points: [number, number][] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      const degrees = (180 * i) / (SAMPLES - 1);
      points.push([degrees, margin.targetLogit((degrees * Math.PI) / 180)]);
    }
    return { points };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Verdict of checkMargin for the page: "passes" or the first failing law with its θ. */
export function verdictOf(name: string, params: MarginParameters): { ok: boolean; text: string } {
  try {
    const report = checkMargin(createMargin(name, optionsFor(name, params)));
    if (report.ok) return { ok: true, text: 'passes: t(θ) ≤ cos θ, monotone, finite, finite gradient' };
    const first = report.violations[0];
    const degrees = first ? ((first.theta * 180) / Math.PI).toFixed(1) : '?';
    const laws = Object.entries(report.checks)
      .filter(([, ok]) => !ok)
      .map(([law]) => law)
      .join(', ');
    return { ok: false, text: `fails ${laws} (first at θ = ${degrees}°)` };
  } catch (error) {
    return { ok: false, text: error instanceof Error ? error.message : String(error) };
  }
}

/** The target-logit plot (the paper's Fig. 4b) for every registered margin, with verdicts. */
export function curvesPanel(params: MarginParameters): { element: HTMLElement; update(): void } {
  const card = plotCard('target-logits', 'Target logit t(θ) of every registered margin; cos θ dashed. The trained logit is s·t.');
  const legend = h('ul', { class: 'legend', 'data-testid': 'verdicts' });
  const element = h('div', { class: 'curves' }, card.element, legend);
  const update = () => {
    const series: LineSeries[] = [];
    legend.replaceChildren();
    let low = -1;
    listMargins().forEach((name, index) => {
      const color = colorAt(SERIES_COLORS, index);
      const curve = sampleCurve(name, params);
      const verdict = verdictOf(name, params);
      if ('points' in curve) {
        series.push({ id: name, label: name, color, points: curve.points });
        for (const [, t] of curve.points) if (Number.isFinite(t)) low = Math.min(low, t);
      }
      legend.append(
        h(
          'li',
          { 'data-margin': name, class: verdict.ok ? 'ok' : 'bad' },
          h('span', { class: 'swatch', style: `background:${color}` }),
          h('strong', {}, name),
          h('span', { class: 'verdict', 'data-testid': `verdict-${name}` }, verdict.ok ? '✓ ' : '✗ ', verdict.text),
        ),
      );
    });
    series.push({ id: 'cos', label: 'cos θ', color: '#1b1f24', dashed: true, points: Array.from({ length: 181 }, (_, d) => [d, Math.cos((d * Math.PI) / 180)] as [number, number]) });
    renderLinePlot(card.svg, {
      title: `Target logits (s = ${params.s})`,
      xLabel: 'θ (degrees) between feature and its class centre',
      yLabel: 't(θ)',
      xDomain: [0, 180],
      xTicks: [0, 30, 60, 90, 120, 150, 180],
      yDomain: [Math.max(Math.floor(low * 2) / 2, -4), 1.05],
      series,
    });
  };
  update();
  return { element, update };
}
