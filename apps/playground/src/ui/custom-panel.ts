import { formatExpression, isExpressionError } from '../expression';
import { CUSTOM_VARIABLES, customMarginFactory, parseCustomFormula, type CustomMarginSpec } from '../custom/custom-margin';
import { BUILTIN_MARGINS, checkMargin, registerMargin } from '@arcface/margins';
import { renderLinePlot } from '../plot/line-plot';
import { h } from './dom';
import { optionsFor, type MarginParameters } from './margin-controls';
import { plotCard } from './plot-card';

const NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;
const BUILT_IN = new Set(Object.keys(BUILTIN_MARGINS));

/**
 * "Your own margin": a formula in θ and the parameters, parsed by the page's own parser (no
 * eval), drawn against cos θ, judged by checkMargin, registered as a plugin and trained.
 */
export function customPanel(params: MarginParameters, onRegistered: (spec: CustomMarginSpec) => void): { element: HTMLElement; update(): void } {
  const name = h('input', { type: 'text', value: 'my-margin', 'data-testid': 'custom-name', 'aria-label': 'margin name', spellcheck: false });
  const formula = h('input', { type: 'text', value: 'cos(θ + m·sin(θ))', 'data-testid': 'custom-formula', 'aria-label': 'formula', spellcheck: false, autocomplete: 'off' });
  const readAs = h('div', { class: 'read-as', 'data-testid': 'custom-read-as' });
  const error = h('div', { class: 'error', role: 'alert', 'data-testid': 'custom-error', hidden: true });
  const verdict = h('div', { class: 'verdict', 'data-testid': 'custom-verdict' });
  const register = h('button', { type: 'button', class: 'primary', 'data-testid': 'custom-register' }, 'Register and train');
  const card = plotCard('custom-curve', 'Your margin t(θ) against cos θ (dashed)');
  const help = h(
    'p',
    { class: 'hint' },
    `Names: ${CUSTOM_VARIABLES.map((v) => (v === 'theta' ? 'θ (theta)' : v === 'lambda' ? 'λ (lambda)' : v)).join(', ')}, π (pi), e. `,
    'Functions: cos sin tan acos asin atan sqrt exp log abs floor ceil sign min max pow clamp. ',
    'Operators: + − · / ^, comparisons (give 1 or 0) and c ? a : b. 2θ means 2·θ.',
  );
  const element = h(
    'div',
    { class: 'custom' },
    h('div', { class: 'custom-form' }, h('label', { class: 'field' }, h('span', {}, 'name'), name), h('label', { class: 'field grow' }, h('span', {}, 't(θ) ='), formula), register),
    help,
    error,
    readAs,
    verdict,
    card.element,
  );

  const showError = (message: string) => {
    error.hidden = false;
    error.textContent = message;
    verdict.textContent = '';
    readAs.textContent = '';
    register.disabled = true;
  };

  const update = (): CustomMarginSpec | undefined => {
    register.disabled = false;
    error.hidden = true;
    const spec: CustomMarginSpec = { name: name.value.trim(), formula: formula.value };
    if (!NAME_PATTERN.test(spec.name) || BUILT_IN.has(spec.name)) {
      showError(`name '${spec.name}': use lower-case letters, digits and '-', starting with a letter, and not a built-in name`);
      return undefined;
    }
    try {
      readAs.textContent = `read as: ${formatExpression(parseCustomFormula(spec.formula))}`;
      const margin = customMarginFactory(spec)(optionsFor(spec.name, params));
      const report = checkMargin(margin);
      const first = report.violations[0];
      verdict.className = `verdict ${report.ok ? 'ok' : 'bad'}`;
      verdict.textContent = report.ok
        ? '✓ checkMargin: t(θ) ≤ cos θ, monotone, finite, finite gradient'
        : `✗ checkMargin: ${first ? `${first.law} fails at θ = ${((first.theta * 180) / Math.PI).toFixed(1)}° — ${first.detail}` : 'fails'}`;
      const points = Array.from({ length: 361 }, (_, i) => [i / 2, margin.targetLogit((i / 2) * (Math.PI / 180))] as [number, number]);
      const low = Math.min(-1, ...points.map(([, t]) => t).filter(Number.isFinite));
      renderLinePlot(card.svg, {
        title: `${spec.name}: t(θ) = ${spec.formula}`,
        xLabel: 'θ (degrees)',
        yLabel: 't(θ)',
        xDomain: [0, 180],
        xTicks: [0, 30, 60, 90, 120, 150, 180],
        yDomain: [Math.max(Math.floor(low * 2) / 2, -4), 1.05],
        series: [
          { id: spec.name, label: spec.name, color: '#D55E00', points },
          { id: 'cos', label: 'cos θ', color: '#1b1f24', dashed: true, points: Array.from({ length: 181 }, (_, d) => [d, Math.cos((d * Math.PI) / 180)] as [number, number]) },
        ],
        height: 300,
      });
      return spec;
    } catch (caught) {
      if (isExpressionError(caught)) {
        const where = 'start' in caught ? caught.start : undefined;
        showError(`${caught.code}: ${caught.message}${where !== undefined ? `\n${formula.value}\n${' '.repeat(where)}^` : ''}`);
        return undefined;
      }
      showError(caught instanceof Error ? caught.message : String(caught));
      return undefined;
    }
  };

  formula.addEventListener('input', () => update());
  name.addEventListener('input', () => update());
  register.addEventListener('click', () => {
    const spec = update();
    if (spec === undefined) return;
    // Registered here for the curves and again in the worker, which has its own registry.
    registerMargin(spec.name, customMarginFactory(spec), { override: true });
    onRegistered(spec);
  });
  update();
  return { element, update: () => void update() };
}
