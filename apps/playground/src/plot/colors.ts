/**
 * Okabe–Ito's eight colours, distinguishable with the common colour-vision deficiencies:
 * one per toy identity. Black is swapped for a grey so it shows on the dark circle outline.
 */
export const IDENTITY_COLORS: readonly string[] = [
  '#E69F00',
  '#56B4E9',
  '#009E73',
  '#F0E442',
  '#0072B2',
  '#D55E00',
  '#CC79A7',
  '#7f7f7f',
];

/** Colours of the curve plot: one per margin, cycling. */
export const SERIES_COLORS: readonly string[] = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#7f7f7f',
  '#F0E442',
];

export function colorAt(palette: readonly string[], index: number): string {
  return palette[((index % palette.length) + palette.length) % palette.length] as string;
}
