import type { Rng } from '../random/rng';

/** An RGB colour with channels in [0, 1]. */
export type Rgb = readonly [number, number, number];

/**
 * One synthetic person: the parameter vector that stays fixed across all their images.
 * Lengths are in face units: the head's half-height is 1, y grows downwards, 0 is mid-face.
 */
export interface FaceIdentity {
  /** Head half-width relative to its half-height. */
  faceWidth: number;
  /** How much the lower face narrows towards the chin (0 = ellipse). */
  jaw: number;
  skin: Rgb;
  /** Redness of the cheeks, 0–1. */
  blush: number;
  hairColor: Rgb;
  /** 0 bald, 1 short, 2 short with fringe, 3 long, 4 long with fringe. */
  hairStyle: number;
  /** Height of the hairline at the middle of the forehead. */
  hairline: number;
  /** How far the hair stands off the head. */
  hairVolume: number;
  /** Tilt of the hairline (a side parting), −1…1. */
  hairParting: number;
  /** Length of long hair below the chin line. */
  hairLength: number;
  eyeY: number;
  /** Distance of each eye's centre from the face's midline. */
  eyeSpacing: number;
  eyeWidth: number;
  eyeHeight: number;
  /** Outer-corner tilt of the eyes, radians. */
  eyeTilt: number;
  irisColor: Rgb;
  /** Iris radius relative to the eye's height. */
  irisSize: number;
  browGap: number;
  browThickness: number;
  browSlope: number;
  browArch: number;
  noseY: number;
  noseWidth: number;
  /** How far the nose stands out: its parallax when the head turns. */
  noseProminence: number;
  mouthY: number;
  mouthWidth: number;
  upperLip: number;
  lowerLip: number;
  lipColor: Rgb;
  /** 0 none, 1 moustache, 2 full beard, 3 goatee. */
  facialHair: number;
  facialHairDensity: number;
  /** 0 none, 1 round, 2 rectangular. */
  glasses: number;
  glassesColor: Rgb;
  /** A mole at (u, v), or null. */
  mole: readonly [number, number] | null;
  earSize: number;
}

const SKIN: readonly Rgb[] = [
  [0.98, 0.85, 0.75],
  [0.93, 0.76, 0.63],
  [0.82, 0.62, 0.46],
  [0.66, 0.46, 0.32],
  [0.46, 0.31, 0.22],
  [0.32, 0.21, 0.15],
];
const HAIR: readonly Rgb[] = [
  [0.06, 0.05, 0.05],
  [0.17, 0.11, 0.07],
  [0.36, 0.23, 0.13],
  [0.62, 0.45, 0.25],
  [0.86, 0.72, 0.46],
  [0.55, 0.22, 0.09],
  [0.62, 0.6, 0.58],
  [0.88, 0.87, 0.85],
];
const IRIS: readonly Rgb[] = [
  [0.27, 0.16, 0.08],
  [0.4, 0.26, 0.12],
  [0.25, 0.42, 0.6],
  [0.3, 0.48, 0.32],
  [0.48, 0.42, 0.25],
  [0.12, 0.08, 0.05],
];

function mixRgb(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)] as T;
}

/** A colour between two neighbouring palette entries, so tones form a continuum. */
function paletteColor(rng: Rng, palette: readonly Rgb[]): Rgb {
  const i = rng.int(palette.length - 1);
  return mixRgb(palette[i] as Rgb, palette[i + 1] as Rgb, rng.next());
}

/**
 * Draws a random identity. Every parameter varies independently within a plausible range, so
 * identities differ in many small ways, as people do, rather than in one obvious attribute.
 *
 * @example
 * const person = sampleIdentity(createRng('alice'));
 */
export function sampleIdentity(rng: Rng): FaceIdentity {
  const hairStyle = rng.next() < 0.08 ? 0 : 1 + rng.int(4);
  const facialHairRoll = rng.next();
  const glassesRoll = rng.next();
  const skin = paletteColor(rng, SKIN);
  const hairColor = paletteColor(rng, HAIR);
  const eyeWidth = rng.uniform(0.115, 0.16);
  return {
    faceWidth: rng.uniform(0.64, 0.84),
    jaw: rng.uniform(0, 0.38),
    skin,
    blush: rng.uniform(0, 0.35),
    hairColor,
    hairStyle,
    hairline: rng.uniform(-0.72, -0.42),
    hairVolume: rng.uniform(0.04, 0.2),
    hairParting: rng.uniform(-1, 1),
    hairLength: rng.uniform(0.2, 1.1),
    eyeY: rng.uniform(-0.16, 0.02),
    eyeSpacing: rng.uniform(0.24, 0.34),
    eyeWidth,
    eyeHeight: rng.uniform(0.045, 0.07),
    eyeTilt: rng.uniform(-0.16, 0.2),
    irisColor: pick(rng, IRIS),
    irisSize: rng.uniform(0.8, 1.1),
    browGap: rng.uniform(0.1, 0.17),
    browThickness: rng.uniform(0.025, 0.06),
    browSlope: rng.uniform(-1, 1),
    browArch: rng.uniform(0, 1),
    noseY: rng.uniform(0.2, 0.34),
    noseWidth: rng.uniform(0.08, 0.14),
    noseProminence: rng.uniform(0.5, 1.5),
    mouthY: rng.uniform(0.48, 0.6),
    mouthWidth: rng.uniform(0.17, 0.26),
    upperLip: rng.uniform(0.022, 0.045),
    lowerLip: rng.uniform(0.03, 0.06),
    lipColor: mixRgb(skin, [0.62, 0.2, 0.24], rng.uniform(0.35, 0.7)),
    facialHair: facialHairRoll < 0.72 ? 0 : facialHairRoll < 0.82 ? 1 : facialHairRoll < 0.94 ? 2 : 3,
    facialHairDensity: rng.uniform(0.35, 0.95),
    glasses: glassesRoll < 0.86 ? 0 : glassesRoll < 0.93 ? 1 : 2,
    glassesColor: pick(rng, [
      [0.05, 0.05, 0.05],
      [0.35, 0.2, 0.1],
      [0.6, 0.6, 0.62],
      [0.5, 0.1, 0.1],
    ] as const),
    mole: rng.next() < 0.3 ? [rng.uniform(-0.45, 0.45), rng.uniform(-0.2, 0.75)] : null,
    earSize: rng.uniform(0.8, 1.2),
  };
}
