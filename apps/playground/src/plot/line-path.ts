import type { LinearScale } from './scale';

/**
 * SVG path data through the points `[x, y]`, in pixels. A non-finite y (a margin undefined at
 * that θ) ends the current piece and the next finite point starts a new one, so gaps show as
 * gaps instead of spikes. Values far outside the plot are clamped to keep the path drawable.
 *
 * @example
 * linePath([[0, 1], [1, NaN], [2, 0]], x, y); // 'M… M…' (two pieces)
 */
export function linePath(points: readonly (readonly [number, number])[], x: LinearScale, y: LinearScale): string {
  const [top, bottom] = [Math.min(...y.range), Math.max(...y.range)];
  const limit = (bottom - top) * 4;
  let d = '';
  let pen = false;
  for (const [px, py] of points) {
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      pen = false;
      continue;
    }
    const sx = x(px);
    const sy = Math.min(Math.max(y(py), top - limit), bottom + limit);
    d += `${pen ? 'L' : 'M'}${round(sx)} ${round(sy)}`;
    pen = true;
  }
  return d;
}

/** Reads path data written by {@link linePath} back into pieces of points (tests and checks). */
export function parsePath(d: string): [number, number][][] {
  const pieces: [number, number][][] = [];
  for (const match of d.matchAll(/([ML])(-?[\d.]+) (-?[\d.]+)/g)) {
    const point: [number, number] = [Number(match[2]), Number(match[3])];
    if (match[1] === 'M') pieces.push([point]);
    else pieces[pieces.length - 1]?.push(point);
  }
  return pieces;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
