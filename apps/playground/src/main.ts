import './style.css';
import './page-tensors';
import type { CustomMarginSpec } from './custom/custom-margin';
import type { BackendRequest } from './toy/toy-protocol';
import { curvesPanel } from './ui/curves-panel';
import { customPanel } from './ui/custom-panel';
import { h } from './ui/dom';
import { DEFAULT_PARAMETERS, marginControls } from './ui/margin-controls';
import { toyPanel } from './ui/toy-panel';

const params = { ...DEFAULT_PARAMETERS };
const customs = new Map<string, CustomMarginSpec>();

const backendName = h('strong', { 'data-testid': 'backend-name' }, '…');
const backendReason = h('span', { class: 'reason', 'data-testid': 'backend-reason' }, 'choosing a backend');
const backendSelect = h(
  'select',
  { 'data-testid': 'backend-select', 'aria-label': 'backend' },
  ...(['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const).map((b) => h('option', { value: b }, b === 'auto' ? 'auto (fastest)' : b)),
);

const curves = curvesPanel(params);
const toy = toyPanel(
  params,
  () => [...customs.values()],
  (event) => {
    if (event.type === 'backend') {
      backendName.textContent = event.report.name.toUpperCase();
      backendReason.textContent = event.report.reason;
      backendReason.title = event.report.attempts.join('\n');
    } else {
      backendReason.textContent = event.message;
    }
  },
);
const custom = customPanel(params, (spec) => {
  customs.set(spec.name, spec);
  curves.update();
  toy.refreshMargins(spec.name);
  toy.restart(true);
  document.getElementById('toy')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
});

let pending = 0;
const controls = marginControls(params, () => {
  // Redraw at most once a frame while a slider is dragged.
  cancelAnimationFrame(pending);
  pending = requestAnimationFrame(() => {
    curves.update();
    custom.update();
  });
});
backendSelect.addEventListener('change', () => {
  backendName.textContent = '…';
  backendReason.textContent = 'switching';
  toy.setBackend(backendSelect.value as BackendRequest);
});

document.getElementById('app')?.replaceChildren(
  h(
    'header',
    {},
    h('div', {}, h('h1', {}, 'ArcFace playground'), h('p', { class: 'lede' }, 'Margin-based softmax losses, live: the target logits, what they do to features, and a margin of your own.')),
    h('div', { class: 'backend', 'data-testid': 'backend' }, h('span', {}, 'TensorFlow.js backend '), backendName, ' ', backendSelect, h('div', {}, backendReason)),
  ),
  h(
    'section',
    { id: 'curves' },
    h('h2', {}, '1 · Target logits'),
    h('p', { class: 'hint' }, 'Each margin turns the cosine to the own class centre into a smaller target value: the network must pull features closer to win. Curves left of 180° that rise again, or lie above cos θ, fail the checks.'),
    h('div', { class: 'curves-layout' }, controls, curves.element),
  ),
  h(
    'section',
    { id: 'toy' },
    h('h2', {}, '2 · Toy experiment: 8 identities, 2-D or 3-D features'),
    h('p', { class: 'hint' }, 'A small network learns to embed synthetic faces of 8 people. Left: plain softmax on normalised features. Right: the chosen margin, with the parameters above. Watch the gap open between neighbouring classes.'),
    toy.element,
  ),
  h('section', { id: 'custom' }, h('h2', {}, '3 · Your own margin'), custom.element),
  h('footer', {}, 'All computation runs in this page; nothing is sent anywhere. '),
);
