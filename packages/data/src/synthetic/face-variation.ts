import type { Rng } from '../random/rng';
import { detCos, detSin } from './det-math';
import type { FaceIdentity, Rgb } from './face-identity';

/** Something covering part of the face in one image. */
export interface FaceOcclusion {
  kind: 'bar' | 'sunglasses' | 'mask' | 'hand';
  /** Centre and half-size in head units, angle in radians (for `bar` and `hand`). */
  x: number;
  y: number;
  halfWidth: number;
  halfHeight: number;
  angle: number;
  color: Rgb;
}

/** What changes from one image of a person to the next. Angles in radians. */
export interface FaceVariation {
  yaw: number;
  pitch: number;
  roll: number;
  /** Head half-height as a share of half the image. */
  scale: number;
  offsetX: number;
  offsetY: number;
  ambient: number;
  /** Unit light direction (x right, y down, z towards the camera) and its strength. */
  light: readonly [number, number, number];
  diffuse: number;
  /** White balance of the image. */
  tint: Rgb;
  smile: number;
  mouthOpen: number;
  /** 1 open, 0 closed. */
  eyeOpen: number;
  browRaise: number;
  gazeX: number;
  gazeY: number;
  /** Whether glasses (if the person has them) are worn in this image. */
  glassesOn: boolean;
  /** Hair grows and gets cut: a small per-image change of the hairline. */
  hairShift: number;
  background: readonly [Rgb, Rgb];
  clothing: Rgb;
  occlusion: FaceOcclusion | null;
  /** Standard deviation of the pixel noise, in [0, 1] intensity units. */
  noise: number;
  /** Edge softness in pixels (≥ 1): focus blur. */
  softness: number;
  /** Seed of the pixel noise. */
  noiseSeed: number;
}

/**
 * How far images of one person vary. `'classic'`: a lit studio (the light never leaves the
 * front half, ambient light fills every shadow). `'wild'`: what real face sets show and a
 * small network does not undo for free: a hard side light that leaves half the face dark
 * (Yale's left/right light), strong and dim exposures, wider pose and expression, more
 * occlusion. Identity, backdrop and noise are drawn the same way in both.
 */
export type FaceConditions = 'classic' | 'wild';

/** The ranges {@link sampleVariation} draws from, per {@link FaceConditions}. */
interface ConditionRanges {
  /** Largest light azimuth (degrees) at d = 0 and its growth with d. */
  readonly azimuth: readonly [number, number];
  /** Ambient light [low at d = 0, its drop with d, high]. */
  readonly ambient: readonly [number, number, number];
  /** Diffuse strength [low, high at d = 0, its growth with d]. */
  readonly diffuse: readonly [number, number, number];
  /** Yaw (degrees) at d = 0 and its growth with d. */
  readonly yaw: readonly [number, number];
  /** Occlusion probability at d = 0 and its growth with d. */
  readonly occlusion: readonly [number, number];
  /** Exposure: every channel times a factor in [1 − e, 1 + e] (white balance stays separate). */
  readonly exposure: number;
  /** Widening of smile, open mouth and brow raise. */
  readonly expression: number;
}

const CONDITIONS: Readonly<Record<FaceConditions, ConditionRanges>> = {
  classic: { azimuth: [25, 55], ambient: [0.45, 0.2, 0.7], diffuse: [0.35, 0.55, 0.25], yaw: [12, 38], occlusion: [0.05, 0.4], exposure: 0, expression: 1 },
  wild: { azimuth: [70, 30], ambient: [0.2, 0.15, 0.4], diffuse: [0.55, 0.85, 0.35], yaw: [18, 42], occlusion: [0.1, 0.5], exposure: 0.3, expression: 1.4 },
};

/**
 * Draws the variation of one image. `difficulty` in [0, 1] widens every range: pose (yaw up
 * to ±(12° + 38°·d) under `'classic'` conditions), lighting, expression, occlusion
 * (probability 0.05 + 0.4·d), noise and blur. `'classic'` draws exactly what it always drew
 * (same seed, same bytes).
 *
 * @example
 * const look = sampleVariation(createRng(7), person, 0.5);
 * const harsh = sampleVariation(createRng(7), person, 0.5, 'wild');
 */
export function sampleVariation(rng: Rng, identity: FaceIdentity, difficulty: number, conditions: FaceConditions = 'classic'): FaceVariation {
  const c = CONDITIONS[conditions];
  const d = difficulty;
  const deg = Math.PI / 180;
  const symmetric = (max: number): number => rng.uniform(-max, max);
  const azimuth = symmetric((c.azimuth[0] + c.azimuth[1] * d) * deg);
  const elevation = rng.uniform(-20 - 30 * d, 35) * deg;
  // A unit light direction from azimuth and elevation.
  const lx = detSin(azimuth) * detCos(elevation);
  const ly = -detSin(elevation);
  const lz = detCos(azimuth) * detCos(elevation);
  const occluded = rng.next() < c.occlusion[0] + c.occlusion[1] * d;
  const grey = rng.uniform(0.15, 0.9);
  const background: [Rgb, Rgb] = [
    [clamp(grey + symmetric(0.15)), clamp(grey + symmetric(0.15)), clamp(grey + symmetric(0.15))],
    [clamp(grey + symmetric(0.25)), clamp(grey + symmetric(0.25)), clamp(grey + symmetric(0.25))],
  ];
  const variation: FaceVariation = {
    yaw: symmetric((c.yaw[0] + c.yaw[1] * d) * deg),
    pitch: symmetric((6 + 16 * d) * deg),
    roll: symmetric((5 + 15 * d) * deg),
    scale: rng.uniform(0.72 - 0.1 * d, 0.8 + 0.04 * d),
    offsetX: symmetric(0.02 + 0.08 * d),
    offsetY: symmetric(0.02 + 0.06 * d) - 0.04,
    ambient: rng.uniform(c.ambient[0] - c.ambient[1] * d, c.ambient[2]),
    light: [lx, ly, lz],
    diffuse: rng.uniform(c.diffuse[0], c.diffuse[1] + c.diffuse[2] * d),
    tint: [1 + symmetric(0.04 + 0.1 * d), 1 + symmetric(0.03 + 0.06 * d), 1 + symmetric(0.04 + 0.1 * d)],
    smile: rng.next() < 0.5 ? rng.uniform(0, c.expression * (0.4 + 0.6 * d)) : symmetric(0.2),
    mouthOpen: rng.next() < 0.15 + 0.35 * d ? rng.uniform(0.1, c.expression * (0.4 + 0.6 * d)) : 0,
    eyeOpen: rng.next() < 0.08 + 0.12 * d ? rng.uniform(0, 0.4) : rng.uniform(0.75, 1.1),
    browRaise: symmetric(c.expression * (0.3 + 0.7 * d)),
    gazeX: symmetric(0.6),
    gazeY: symmetric(0.3),
    glassesOn: identity.glasses > 0 && rng.next() < 0.85,
    hairShift: symmetric(0.03 + 0.05 * d),
    background,
    clothing: [rng.next(), rng.next(), rng.next()],
    occlusion: null,
    noise: rng.uniform(0.01, 0.02 + 0.05 * d),
    softness: rng.uniform(1, 1.3 + 2.2 * d),
    noiseSeed: rng.uint32(),
  };
  if (occluded) variation.occlusion = sampleOcclusion(rng, identity);
  // Drawn last, so 'classic' consumes the stream exactly as before.
  if (c.exposure > 0) {
    const exposure = 1 + symmetric(c.exposure);
    variation.tint = [variation.tint[0] * exposure, variation.tint[1] * exposure, variation.tint[2] * exposure];
  }
  return variation;
}

function sampleOcclusion(rng: Rng, identity: FaceIdentity): FaceOcclusion {
  const roll = rng.next();
  if (roll < 0.3) {
    const dark = rng.uniform(0.02, 0.2);
    return { kind: 'sunglasses', x: 0, y: identity.eyeY, halfWidth: 0, halfHeight: 0, angle: 0, color: [dark, dark, dark * 1.1] };
  }
  if (roll < 0.5) {
    const light = rng.uniform(0.6, 0.95);
    return { kind: 'mask', x: 0, y: identity.noseY, halfWidth: 0, halfHeight: 0, angle: 0, color: [light * 0.85, light * 0.92, light] };
  }
  if (roll < 0.75) {
    return {
      kind: 'hand',
      x: rng.uniform(-0.6, 0.6),
      y: rng.uniform(0.2, 1.0),
      halfWidth: rng.uniform(0.2, 0.32),
      halfHeight: rng.uniform(0.3, 0.45),
      angle: rng.uniform(-0.8, 0.8),
      color: [identity.skin[0] * 0.95, identity.skin[1] * 0.93, identity.skin[2] * 0.92],
    };
  }
  return {
    kind: 'bar',
    x: rng.uniform(-0.7, 0.7),
    y: rng.uniform(-0.8, 0.8),
    halfWidth: rng.uniform(0.3, 1.2),
    halfHeight: rng.uniform(0.06, 0.2),
    angle: rng.uniform(-1.6, 1.6),
    color: [rng.next(), rng.next(), rng.next()],
  };
}

function clamp(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
