import { downloadPng, downloadSvg } from '../plot/export-plot';
import { h, s } from './dom';

/** A figure with its SVG and PNG/SVG export buttons. */
export function plotCard(id: string, caption: string): { element: HTMLElement; svg: SVGSVGElement } {
  const svg = s('svg', { 'data-testid': `${id}-svg`, class: 'plot' });
  const png = h('button', { type: 'button', class: 'small', 'data-testid': `${id}-png` }, 'PNG');
  const svgButton = h('button', { type: 'button', class: 'small', 'data-testid': `${id}-export-svg` }, 'SVG');
  png.addEventListener('click', () => void downloadPng(svg, id));
  svgButton.addEventListener('click', () => downloadSvg(svg, id));
  const element = h('figure', { class: 'card', id }, svg, h('figcaption', {}, h('span', {}, caption), h('span', { class: 'exports' }, 'Export ', png, ' ', svgButton)));
  return { element, svg };
}
