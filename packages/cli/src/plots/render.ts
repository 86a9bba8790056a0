import { toTopLevelSpec, type ChartSpec } from './chart-spec';

/** A rendered chart: the SVG text, and PNG bytes on request. */
export interface RenderedPlot {
  /** Standalone SVG document (no external references), ready to inline in HTML. */
  readonly svg: string;
  /** Width and height of the SVG in CSS pixels. */
  readonly width: number;
  readonly height: number;
}

/**
 * Compiles a Vega-Lite spec and renders it to SVG headlessly (Vega's `renderer: 'none'`
 * scenegraph; no DOM, no canvas). Vega is an ES module, so it loads on first use, which keeps
 * the library's import cheap and free of side effects.
 *
 * @example
 * ```ts
 * const { svg } = await renderVegaLite({ data: { values: [{ x: 0, y: 1 }] }, mark: 'point',
 *   encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
 * ```
 */
export async function renderVegaLite(spec: ChartSpec): Promise<RenderedPlot> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(toTopLevelSpec(spec)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    const match = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
    return { svg, width: Number(match?.[1] ?? 0), height: Number(match?.[2] ?? 0) };
  } finally {
    view.finalize();
  }
}

/**
 * Rasterises SVG text to PNG bytes with sharp (librsvg). `scale` multiplies the SVG's own
 * size (2 gives a sharp image on high-density screens).
 *
 * @example
 * ```ts
 * const png = await svgToPng(plot.svg, { scale: 2 });
 * ```
 */
export async function svgToPng(svg: string, options: { scale?: number } = {}): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  // librsvg renders at 72 dpi for scale 1: density scales the raster, not the layout.
  const density = 72 * (options.scale ?? 1);
  const buffer = await sharp(Buffer.from(svg), { density }).png().toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
