/** What a PNG holds, read back through sharp: its size and how much of it is not background. */
export interface PngSummary {
  readonly width: number;
  readonly height: number;
  /** Share of pixels that differ from the top-left pixel (the background) by more than 24 levels. */
  readonly foregroundFraction: number;
  /** Counts pixels close (within 40 levels per channel) to a given `#rrggbb` colour. */
  countColor(hex: string): number;
}

/**
 * Decodes PNG bytes and summarises them, so a test can tell a drawn chart from a blank or
 * broken image.
 */
export async function inspectPng(png: Uint8Array): Promise<PngSummary> {
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  const background = [data[0] ?? 0, data[1] ?? 0, data[2] ?? 0];
  let foreground = 0;
  const pixels = info.width * info.height;
  for (let i = 0; i < pixels; i += 1) {
    const o = i * channels;
    const diff = Math.max(
      Math.abs((data[o] ?? 0) - (background[0] ?? 0)),
      Math.abs((data[o + 1] ?? 0) - (background[1] ?? 0)),
      Math.abs((data[o + 2] ?? 0) - (background[2] ?? 0)),
    );
    if (diff > 24) foreground += 1;
  }
  return {
    width: info.width,
    height: info.height,
    foregroundFraction: foreground / pixels,
    countColor(hex: string): number {
      const rgb = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
      let count = 0;
      for (let i = 0; i < pixels; i += 1) {
        const o = i * channels;
        if (rgb.every((c, j) => Math.abs((data[o + j] ?? 0) - c) <= 40)) count += 1;
      }
      return count;
    },
  };
}
