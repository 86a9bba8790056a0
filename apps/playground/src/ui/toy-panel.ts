import { listMargins } from '@arcface/margins';
import { renderEmbeddingPlot } from '../plot/embedding-plot';
import { renderLinePlot } from '../plot/line-plot';
import type { CustomMarginSpec } from '../custom/custom-margin';
import { ToyClient } from '../toy/toy-client';
import type { BackendRequest, ToyEvent, ToySideSnapshot } from '../toy/toy-protocol';
import { formatNumber, h } from './dom';
import { faceStrip } from './face-strip';
import { optionsFor, type MarginParameters } from './margin-controls';
import { plotCard } from './plot-card';

const BASELINE = 'softmax-normalized';

export interface ToyPanel {
  readonly element: HTMLElement;
  /** Rebuilds the margin list (after a custom margin was registered) and selects `select`. */
  refreshMargins(select?: string): void;
  /** Restarts training with the current settings. */
  restart(autoStart: boolean): void;
  setBackend(request: BackendRequest): void;
}

/**
 * The toy experiment (the paper's Fig. 3): the softmax baseline and the chosen margin trained
 * side by side in a worker, features drawn as they move, with the geodesic gap between the
 * nearest classes and the intra-class spread.
 */
export function toyPanel(params: MarginParameters, customs: () => readonly CustomMarginSpec[], onBackend: (event: Extract<ToyEvent, { type: 'backend' | 'error' }>) => void): ToyPanel {
  const marginSelect = h('select', { 'data-testid': 'toy-margin', 'aria-label': 'margin' });
  const dimensionSelect = h('select', { 'data-testid': 'toy-dimension', 'aria-label': 'embedding dimension' }, h('option', { value: '2' }, '2-D circle'), h('option', { value: '3' }, '3-D sphere'));
  const start = h('button', { type: 'button', class: 'primary', 'data-testid': 'toy-start' }, 'Train');
  const pause = h('button', { type: 'button', 'data-testid': 'toy-pause', disabled: true }, 'Pause');
  const reset = h('button', { type: 'button', 'data-testid': 'toy-reset' }, 'Reset');
  const status = h('span', { class: 'status', 'data-testid': 'toy-status' }, 'starting…');
  const left = plotCard('toy-baseline', 'Softmax (normalised features, no margin)');
  const right = plotCard('toy-margin-plot', 'With the chosen margin');
  const lossCard = plotCard('toy-loss', 'Training loss of both sides');
  const faces = faceStrip();
  const stats = [h('dl', { class: 'stats', 'data-testid': 'toy-stats-baseline' }), h('dl', { class: 'stats', 'data-testid': 'toy-stats-margin' })] as const;
  const element = h(
    'div',
    { class: 'toy' },
    h('div', { class: 'toolbar' }, h('label', {}, 'margin ', marginSelect), h('label', {}, 'features ', dimensionSelect), start, pause, reset, status),
    faces.element,
    h('div', { class: 'pair' }, h('div', {}, left.element, stats[0]), h('div', {}, right.element, stats[1])),
    lossCard.element,
  );

  let labels: Int32Array = new Int32Array(0);
  let dimension: 2 | 3 = 2;
  let running = false;
  let ready = false;
  let startWhenReady = false;
  let histories: [number[], number[]] = [[], []];
  let yaw = 0.6;
  let last: readonly [ToySideSnapshot, ToySideSnapshot] | undefined;
  let backend: BackendRequest = 'auto';

  const wasmBase = new URL('wasm/', document.baseURI).href;
  const client = new ToyClient((event) => handle(event));
  const init = () => client.send({ type: 'init', backend, wasmBase });

  const configure = () => {
    ready = false;
    histories = [[], []];
    const chosen = marginSelect.value || 'additive-angular';
    client.send({
      type: 'configure',
      dimension: Number(dimensionSelect.value) === 3 ? 3 : 2,
      sides: [
        { margin: BASELINE, options: optionsFor(BASELINE, params) },
        { margin: chosen, options: optionsFor(chosen, params) },
      ],
      custom: customs(),
      seed: 11,
    });
  };

  function handle(event: ToyEvent): void {
    switch (event.type) {
      case 'backend':
        onBackend(event);
        return;
      case 'error':
        running = false;
        status.textContent = `error: ${event.message}`;
        status.classList.add('error');
        onBackend(event);
        syncButtons();
        return;
      case 'ready':
        labels = event.labels;
        dimension = event.dimension;
        faces.show(event.faces);
        ready = true;
        status.classList.remove('error');
        status.textContent = 'ready';
        if (startWhenReady) {
          startWhenReady = false;
          client.send({ type: 'start' });
          running = true;
        }
        syncButtons();
        return;
      case 'progress':
        running = event.running;
        event.sides.forEach((side, i) => histories[i as 0 | 1].push(...side.losses));
        last = event.sides;
        draw();
        status.textContent = `step ${event.step}${event.running ? ` · ${event.stepsPerSecond.toFixed(0)} steps/s` : ' · paused'}${describePaths(event.sides)}`;
        status.dataset.compiled = String(event.sides.filter((side) => side.path === 'compiled').length);
        status.dataset.step = String(event.step);
        syncButtons();
        return;
    }
  }

  function draw(): void {
    if (last === undefined) return;
    const [base, margin] = last;
    yaw += dimension === 3 && running ? 0.01 : 0;
    renderEmbeddingPlot(left.svg, { title: `softmax · ${formatNumber(base.geometry.gapDegrees, 1)}° gap`, dimension, points: base.points, labels, centers: base.centers, yaw });
    renderEmbeddingPlot(right.svg, { title: `${margin.margin} · ${formatNumber(margin.geometry.gapDegrees, 1)}° gap`, dimension, points: margin.points, labels, centers: margin.centers, yaw });
    last.forEach((side, i) => {
      const history = histories[i as 0 | 1];
      const latest = history.length > 0 ? history[history.length - 1] as number : Number.NaN;
      stats[i as 0 | 1].replaceChildren(
        h('dt', {}, 'loss'), h('dd', { 'data-stat': 'loss' }, formatNumber(latest, 3)),
        h('dt', {}, 'geodesic gap, nearest classes'), h('dd', { 'data-stat': 'gap' }, `${formatNumber(side.geometry.gapDegrees, 1)}° (ids ${side.geometry.nearestPair.join('–')})`),
        h('dt', {}, 'intra-class spread (mean / max)'), h('dd', { 'data-stat': 'intra' }, `${formatNumber(side.geometry.intraDegrees, 1)}° / ${formatNumber(side.geometry.maxSpreadDegrees, 1)}°`),
        h('dt', {}, 'inter-class (nearest centres)'), h('dd', { 'data-stat': 'inter' }, `${formatNumber(side.geometry.interDegrees, 1)}°`),
      );
    });
    const smooth = (values: number[]): [number, number][] => {
      // A running mean over 20 steps: single-batch losses jump too much to read a trend.
      const out: [number, number][] = [];
      let sum = 0;
      values.forEach((v, i) => {
        sum += v;
        if (i >= 20) sum -= values[i - 20] as number;
        out.push([i + 1, sum / Math.min(i + 1, 20)]);
      });
      return out;
    };
    const all = [...histories[0], ...histories[1]].filter(Number.isFinite);
    renderLinePlot(lossCard.svg, {
      title: 'Loss (running mean of 20 steps)',
      xLabel: 'step',
      yLabel: 'loss',
      xDomain: [0, Math.max(50, histories[0].length)],
      yDomain: [0, Math.max(0.5, ...all.slice(0, 2000)) * 1.05],
      series: [
        { id: 'baseline', label: 'softmax', color: '#0072B2', points: smooth(histories[0]) },
        { id: 'margin', label: margin.margin, color: '#D55E00', points: smooth(histories[1]) },
      ],
      height: 240,
    });
  }

  function syncButtons(): void {
    start.disabled = running || !ready;
    pause.disabled = !running;
    start.textContent = histories[0].length > 0 && !running ? 'Resume' : 'Train';
  }

  start.addEventListener('click', () => {
    client.send({ type: 'start' });
    running = true;
    syncButtons();
  });
  pause.addEventListener('click', () => {
    client.send({ type: 'pause' });
    running = false;
    syncButtons();
  });
  reset.addEventListener('click', () => {
    running = false;
    configure();
    syncButtons();
  });
  marginSelect.addEventListener('change', () => configure());
  dimensionSelect.addEventListener('change', () => configure());

  const refreshMargins = (select?: string) => {
    const previous = select ?? (marginSelect.value || 'additive-angular');
    marginSelect.replaceChildren(...listMargins().filter((n) => n !== BASELINE).map((n) => h('option', { value: n, selected: n === previous }, n)));
  };
  refreshMargins();
  init();
  configure();

  return {
    element,
    refreshMargins,
    restart(autoStart: boolean) {
      startWhenReady = autoStart;
      running = false;
      configure();
    },
    setBackend(request: BackendRequest) {
      backend = request;
      running = false;
      ready = false;
      last = undefined;
      client.restart();
      init();
      configure();
      syncButtons();
    },
  };
}

/** ' · both sides on the compiled WebGPU step' and the like; empty when both train eagerly. */
function describePaths(sides: ReadonlyArray<{ readonly path: 'compiled' | 'eager' }>): string {
  const compiled = sides.filter((side) => side.path === 'compiled').length;
  if (compiled === 0) return '';
  return ` · ${compiled === sides.length ? 'both sides' : 'one side'} on the compiled WebGPU step`;
}
