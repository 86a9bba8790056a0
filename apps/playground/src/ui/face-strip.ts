import { colorAt, IDENTITY_COLORS } from '../plot/colors';
import { h } from './dom';

/**
 * The toy's people, one image each, as the network gets them (before centring): small
 * canvases scaled up without smoothing, each underlined in its identity's plot colour.
 */
export function faceStrip(): { element: HTMLElement; show(faces: { readonly size: number; readonly pixels: Uint8Array }): void } {
  const row = h('div', { class: 'faces-row', 'data-testid': 'toy-faces' });
  const element = h('div', { class: 'faces' }, row, h('span', { class: 'hint' }, 'the 8 synthetic people (@arcface/data), one image each, at the size the network sees'));
  return {
    element,
    show({ size, pixels }) {
      const perImage = size * size * 3;
      const canvases: HTMLCanvasElement[] = [];
      for (let c = 0; c * perImage < pixels.length; c += 1) {
        const canvas = h('canvas', { width: size, height: size, 'data-label': c, style: `border-bottom-color:${colorAt(IDENTITY_COLORS, c)}` });
        const rgba = new Uint8ClampedArray(size * size * 4);
        for (let p = 0; p < size * size; p += 1) {
          rgba[p * 4] = pixels[c * perImage + p * 3] as number;
          rgba[p * 4 + 1] = pixels[c * perImage + p * 3 + 1] as number;
          rgba[p * 4 + 2] = pixels[c * perImage + p * 3 + 2] as number;
          rgba[p * 4 + 3] = 255;
        }
        canvas.getContext('2d')?.putImageData(new ImageData(rgba, size, size), 0, 0);
        canvases.push(canvas);
      }
      row.replaceChildren(...canvases);
    },
  };
}
