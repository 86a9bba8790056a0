import { InvalidArgumentError } from '@arcface/core';
import { noiseTable, NOISE_TABLE_MASK } from './noise-table';
import { clamp01, detCos, detSin } from './det-math';
import type { FaceIdentity } from './face-identity';
import type { FaceVariation } from './face-variation';

/**
 * Renders one face as interleaved RGB bytes (`size × size × 3`), in plain TypeScript.
 *
 * The head is an ellipsoid seen through a camera: each pixel is mapped back to the face's own
 * (u, v) surface coordinates by inverting the yaw and pitch rotations of a sphere
 * (u = r·sin(asin(x/r) − yaw)), so features slide and foreshorten as the head turns while the
 * silhouette stays put. Features are drawn back to front with soft, anti-aliased edges
 * (a coverage ramp one pixel wide, widened by `softness` for focus blur), shaded by a
 * Lambertian light on the ellipsoid's normal, then covered by any occlusion and noise.
 * Only + − × ÷ and square roots are used on the way to each byte, so every engine gives the
 * same bytes.
 *
 * @example
 * const rgb = renderFace(sampleIdentity(createRng(1)), sampleVariation(createRng(2), person, 0.5), 112);
 */
export function renderFace(identity: FaceIdentity, variation: FaceVariation, size = 112, out?: Uint8Array): Uint8Array {
  if (!Number.isInteger(size) || size < 8 || size > 4096) {
    throw new InvalidArgumentError(`face size must be an integer in [8, 4096], got ${size}`);
  }
  const pixels = out ?? new Uint8Array(size * size * 3);
  if (pixels.length !== size * size * 3) {
    throw new InvalidArgumentError(`output buffer has ${pixels.length} bytes, expected ${size * size * 3}`);
  }
  const id = identity;
  const vr = variation;
  const half = size / 2;
  const scale = vr.scale;
  // Pixels per face unit, divided by the edge softness: multiplies a distance in face units to
  // give the coverage ramp's argument.
  const sharp = (half * scale) / vr.softness;
  const cov = (d: number): number => {
    const c = d * sharp;
    return c <= -0.5 ? 1 : c >= 0.5 ? 0 : 0.5 - c;
  };
  const cosRoll = detCos(vr.roll);
  const sinRoll = detSin(vr.roll);
  const W = id.faceWidth;
  const [lx, ly, lz] = vr.light;
  const yaw = vr.yaw;
  const pitch = vr.pitch;
  const sinYaw = detSin(yaw);
  const cosYaw = detCos(yaw);
  const sinPitch = detSin(pitch);
  const cosPitch = detCos(pitch);
  const noseShift = sinYaw * 0.09 * id.noseProminence;
  const longHair = id.hairStyle >= 3;
  const hasHair = id.hairStyle > 0;
  const fringe = id.hairStyle === 2 || id.hairStyle === 4;
  const hairline = id.hairline + vr.hairShift;
  const hairR = id.hairColor[0];
  const hairG = id.hairColor[1];
  const hairB = id.hairColor[2];
  const browR = hairR * 0.7 + 0.02;
  const browG = hairG * 0.7 + 0.02;
  const browB = hairB * 0.7 + 0.02;
  const glassesOn = id.glasses > 0 && vr.glassesOn;
  const occ = vr.occlusion;
  const occCos = occ ? detCos(occ.angle) : 1;
  const occSin = occ ? detSin(occ.angle) : 0;
  // Pixel noise from a fixed table of normal deviates, entered at a per-image offset and
  // stride (odd, so it visits every entry): much cheaper than drawing per pixel.
  const noise = noiseTable();
  let noiseAt = vr.noiseSeed & NOISE_TABLE_MASK;
  const noiseStride = ((vr.noiseSeed >>> 16) | 1) & NOISE_TABLE_MASK;
  // Where the specular highlight of the eyes sits: towards the light.
  const glintX = lx * 0.35;
  const glintY = ly * 0.35 - 0.3;

  let p = 0;
  for (let py = 0; py < size; py++) {
    const sy = (py + 0.5 - half) / half;
    for (let px = 0; px < size; px++) {
      const sx = (px + 0.5 - half) / half;
      // Background: a vertical gradient between two colours.
      const tb = (sy + 1) * 0.5;
      let r = vr.background[0][0] + (vr.background[1][0] - vr.background[0][0]) * tb;
      let g = vr.background[0][1] + (vr.background[1][1] - vr.background[0][1]) * tb;
      let b = vr.background[0][2] + (vr.background[1][2] - vr.background[0][2]) * tb;

      // Head-local coordinates: undo the offset, the roll and the scale.
      const dx = sx - vr.offsetX;
      const dy = sy - vr.offsetY;
      const X = (cosRoll * dx + sinRoll * dy) / scale;
      const Y = (-sinRoll * dx + cosRoll * dy) / scale;

      // Neck and shoulders.
      if (Y > 0.6) {
        const shoulder = cov((Math.sqrt((X / 1.9) * (X / 1.9) + ((Y - 2.35) / 1.05) * ((Y - 2.35) / 1.05)) - 1) * 1.05);
        if (shoulder > 0) {
          r += (vr.clothing[0] * 0.8 - r) * shoulder;
          g += (vr.clothing[1] * 0.8 - g) * shoulder;
          b += (vr.clothing[2] * 0.8 - b) * shoulder;
        }
        const neckHalf = W * 0.42;
        const neck = Math.min(cov(Math.abs(X) - neckHalf), cov(Y < 1.5 ? -1 : Y - 1.5));
        if (neck > 0) {
          const shade = 0.55 + 0.2 * (1 - Math.abs(X) / neckHalf);
          r += (id.skin[0] * shade - r) * neck;
          g += (id.skin[1] * shade - g) * neck;
          b += (id.skin[2] * shade - b) * neck;
        }
      }

      // Long hair falls behind the head and the neck.
      if (longHair) {
        const hw = W + id.hairVolume + 0.05;
        let d: number;
        if (Y < 0) d = (Math.sqrt((X / hw) * (X / hw) + (Y / (1 + id.hairVolume)) * (Y / (1 + id.hairVolume))) - 1) * hw;
        else d = Math.max(Math.abs(X) - hw * (1 - 0.12 * Y), Y - 0.9 - id.hairLength);
        const a = cov(d);
        if (a > 0) {
          const strand = 0.88 + 0.07 * triangle(X * 26 + 1.5 * triangle(Y * 3));
          r += (hairR * strand * 0.75 - r) * a;
          g += (hairG * strand * 0.75 - g) * a;
          b += (hairB * strand * 0.75 - b) * a;
        }
      }

      // Hair volume over the top of the head (outside the face outline).
      if (hasHair && Y < id.eyeY + 0.05) {
        const hw = W + id.hairVolume * 0.6;
        const hh = 1 + id.hairVolume;
        const cy = -0.02;
        const d = Math.max((Math.sqrt((X / hw) * (X / hw) + ((Y - cy) / hh) * ((Y - cy) / hh)) - 1) * hw, Y - id.eyeY - 0.05);
        const a = cov(d);
        if (a > 0) {
          const strand = 0.92 + 0.07 * triangle(X * 30 + 1.5 * triangle(Y * 4));
          r += (hairR * strand - r) * a;
          g += (hairG * strand - g) * a;
          b += (hairB * strand - b) * a;
        }
      }

      // Ears, at the sides behind the face outline; the turn shifts them.
      {
        const ey = (Y - (id.eyeY + 0.16)) / (0.2 * id.earSize);
        if (ey > -1.2 && ey < 1.2) {
          for (let side = -1; side <= 1; side += 2) {
            const ex = (X - side * (W * 0.97) + sinYaw * W * 0.35) / (0.1 * id.earSize);
            const d = (Math.sqrt(ex * ex + ey * ey) - 1) * 0.1 * id.earSize;
            const a = cov(d);
            if (a > 0) {
              const inner = ex * ex + ey * ey < 0.35 ? 0.78 : 0.92;
              const shade = vr.ambient + vr.diffuse * Math.max(0, side * lx * 0.8 + lz * 0.3);
              r += (id.skin[0] * inner * shade - r) * a;
              g += (id.skin[1] * inner * shade - g) * a;
              b += (id.skin[2] * inner * shade - b) * a;
            }
          }
        }
      }

      // The head: an ellipse whose lower half narrows with the jaw.
      const taper = Y > 0 ? 1 - id.jaw * Y * Y : 1;
      const Wt = W * taper;
      const en = Math.sqrt((X / Wt) * (X / Wt) + Y * Y);
      const head = cov((en - 1) * Math.min(Wt, 1));
      if (head > 0) {
        // Surface normal of the ellipsoid, for shading.
        const nx = X / Wt;
        const nz2 = 1 - nx * nx - Y * Y;
        const nz = nz2 > 0 ? Math.sqrt(nz2) : 0;
        const lambert = nx * lx + Y * ly + nz * lz;
        const shade = vr.ambient + vr.diffuse * (lambert > 0 ? lambert : 0);

        // Face coordinates: invert the sphere's pitch, then its yaw at this height, using
        // sin(asin(y) − φ) = y·cos φ − √(1 − y²)·sin φ (no trigonometry per pixel).
        const yc = Y < -1 ? -1 : Y > 1 ? 1 : Y;
        const v = yc * cosPitch - Math.sqrt(1 - yc * yc) * sinPitch;
        const rowHalf = Wt * Math.sqrt(Math.max(1e-6, 1 - Y * Y));
        const xr0 = X / rowHalf;
        const xr = xr0 < -1 ? -1 : xr0 > 1 ? 1 : xr0;
        const u = rowHalf * (xr * cosYaw - Math.sqrt(1 - xr * xr) * sinYaw);

        let fr = id.skin[0];
        let fg = id.skin[1];
        let fb = id.skin[2];

        // Cheeks.
        for (let side = -1; side <= 1; side += 2) {
          const cx = (u - side * W * 0.5) / 0.17;
          const cy = (v - id.noseY + 0.04) / 0.13;
          const q = 1 - (cx * cx + cy * cy);
          if (q > 0) {
            const t = id.blush * q * q;
            fr += (0.85 - fr) * t * 0.5;
            fg += (0.35 - fg) * t * 0.5;
            fb += (0.35 - fb) * t * 0.5;
          }
        }

        // Eye sockets: a soft darkening around each eye.
        for (let side = -1; side <= 1; side += 2) {
          const sx2 = (u - side * id.eyeSpacing) / (id.eyeWidth * 1.6);
          const sy2 = (v - id.eyeY + 0.01) / (id.eyeHeight * 2.6);
          const q = 1 - (sx2 * sx2 + sy2 * sy2);
          if (q > 0) {
            const t = 1 - 0.12 * q;
            fr *= t;
            fg *= t;
            fb *= t;
          }
        }

        // Nose: bridge highlight, the side away from the light in shadow, nostrils.
        {
          const nu = u - noseShift;
          if (v > id.eyeY + 0.04 && v < id.noseY + 0.06) {
            const along = (v - id.eyeY) / (id.noseY - id.eyeY);
            const halfW = id.noseWidth * (0.35 + 0.65 * along * along);
            const side = lx > 0 ? -1 : 1;
            const dShadow = Math.abs(nu - side * halfW * 0.9) - 0.02 - 0.02 * along;
            const a = cov(dShadow) * (0.16 + 0.16 * Math.abs(lx)) * along;
            fr *= 1 - a;
            fg *= 1 - a;
            fb *= 1 - a;
            const hl = cov(Math.abs(nu + side * 0.01) - 0.012) * 0.06 * (1 - along);
            fr += (1 - fr) * hl;
            fg += (1 - fg) * hl;
            fb += (1 - fb) * hl;
          }
          const tipX = nu / id.noseWidth;
          const tipY = (v - id.noseY) / 0.055;
          const tq = tipX * tipX + tipY * tipY;
          if (tq < 1 && tipY > 0) {
            const t = 0.22 * tipY * (1 - tq);
            fr *= 1 - t;
            fg *= 1 - t;
            fb *= 1 - t;
          }
          for (let side = -1; side <= 1; side += 2) {
            const ox = (nu - side * id.noseWidth * 0.42) / 0.038;
            const oy = (v - id.noseY - 0.03) / 0.02;
            const d = (Math.sqrt(ox * ox + oy * oy) - 1) * 0.02;
            const a = cov(d) * 0.7;
            if (a > 0) {
              fr *= 1 - a;
              fg *= 1 - a;
              fb *= 1 - a;
            }
          }
        }

        // Facial hair.
        if (id.facialHair > 0) {
          const mu = u - noseShift * 0.4;
          let a = 0;
          if (id.facialHair === 1) {
            const top = id.noseY + 0.055;
            const bottom = id.mouthY - 0.01 + 0.02 * (Math.abs(mu) / id.mouthWidth);
            a = Math.min(cov(Math.abs(mu) - id.mouthWidth * 1.05), cov(top - v), cov(v - bottom));
          } else if (id.facialHair === 2) {
            const cheekLine = id.noseY + 0.02 + 0.12 * (1 - Math.abs(u) / W);
            a = cov(cheekLine - v);
          } else {
            a = Math.min(cov(Math.abs(mu) - id.mouthWidth * 0.7), cov(id.mouthY + 0.07 - v));
          }
          if (a > 0) {
            const strand = 0.55 + 0.45 * speckle(px, py, vr.noiseSeed);
            const t = a * id.facialHairDensity * strand;
            fr += (hairR * 0.9 - fr) * t;
            fg += (hairG * 0.9 - fg) * t;
            fb += (hairB * 0.9 - fb) * t;
          }
        }

        // Mouth: lips bend up at the corners with a smile and part when the mouth opens.
        {
          const mu = (u - noseShift * 0.4) / id.mouthWidth;
          const t = 1 - mu * mu;
          if (t > -0.3) {
            const line = id.mouthY - vr.smile * 0.05 * mu * mu + vr.smile * 0.015;
            const gap = vr.mouthOpen * 0.07 * (t > 0 ? Math.sqrt(t) : 0);
            const st = t > 0 ? Math.sqrt(t) : 0;
            const upperTop = line - gap * 0.5 - id.upperLip * st;
            const lowerBottom = line + gap * 0.5 + id.lowerLip * st;
            const inMouth = Math.min(cov(upperTop - v), cov(v - lowerBottom), cov(-t * id.mouthWidth * 0.5));
            if (inMouth > 0) {
              let mr = id.lipColor[0];
              let mg = id.lipColor[1];
              let mb = id.lipColor[2];
              if (v > line + gap * 0.5) {
                mr = mr * 1.06;
                mg = mg * 1.04;
                mb = mb * 1.04;
              }
              if (gap > 0.004 && v > line - gap * 0.5 && v < line + gap * 0.5) {
                const teeth = v < line - gap * 0.1 ? 1 : 0;
                mr = teeth ? 0.85 : 0.22;
                mg = teeth ? 0.82 : 0.07;
                mb = teeth ? 0.76 : 0.08;
              }
              const lineDark = gap <= 0.004 ? cov(Math.abs(v - line) - 0.004) * 0.5 : 0;
              mr *= 1 - lineDark;
              mg *= 1 - lineDark;
              mb *= 1 - lineDark;
              fr += (mr - fr) * inMouth;
              fg += (mg - fg) * inMouth;
              fb += (mb - fb) * inMouth;
            }
          }
        }

        // Eyes and brows.
        for (let side = -1; side <= 1; side += 2) {
          const cu = u - side * id.eyeSpacing;
          const cv = v - id.eyeY;
          // The outer corner tilts up by eyeTilt.
          const tilt = id.eyeTilt * side;
          const eu = cu + tilt * cv;
          const ev = cv - tilt * cu;
          const xw = eu / id.eyeWidth;
          const t = 1 - xw * xw;
          if (t > -0.2) {
            const upper = id.eyeHeight * vr.eyeOpen * (t > 0 ? Math.sqrt(t) * Math.sqrt(Math.sqrt(t)) : 0);
            const lower = id.eyeHeight * 0.75 * Math.min(1, 0.3 + vr.eyeOpen) * (t > 0 ? Math.sqrt(t) : 0);
            const inEye = Math.min(cov(-upper - ev), cov(ev - lower));
            if (inEye > 0) {
              let er = 0.9;
              let eg = 0.88;
              let eb = 0.85;
              const ir = id.eyeHeight * id.irisSize;
              const ix = eu - vr.gazeX * id.eyeWidth * 0.35;
              const iy = ev - vr.gazeY * id.eyeHeight * 0.3;
              const idist = Math.sqrt(ix * ix + iy * iy);
              const iris = cov(idist - ir);
              if (iris > 0) {
                const rim = 1 - 0.35 * (idist / ir);
                const pupil = cov(idist - ir * 0.42);
                let kr = id.irisColor[0] * rim;
                let kg = id.irisColor[1] * rim;
                let kb = id.irisColor[2] * rim;
                kr += (0.03 - kr) * pupil;
                kg += (0.03 - kg) * pupil;
                kb += (0.03 - kb) * pupil;
                const gx = ix - glintX * ir;
                const gy = iy - glintY * ir;
                const glint = cov(Math.sqrt(gx * gx + gy * gy) - ir * 0.2) * 0.9;
                kr += (1 - kr) * glint;
                kg += (1 - kg) * glint;
                kb += (1 - kb) * glint;
                er += (kr - er) * iris;
                eg += (kg - eg) * iris;
                eb += (kb - eb) * iris;
              }
              fr += (er - fr) * inEye;
              fg += (eg - fg) * inEye;
              fb += (eb - fb) * inEye;
            }
            // Upper lid line and lashes.
            if (t > 0) {
              const lid = cov(Math.abs(ev + upper + 0.006) - 0.007) * 0.8;
              fr *= 1 - lid;
              fg *= 1 - lid;
              fb *= 1 - lid;
            }
          }

          // Brow: an arched band over the eye, thinning towards the outer end.
          const bx = (cu * side - 0.02) / (id.eyeWidth * 1.25);
          if (bx > -1.3 && bx < 1.3) {
            const centre = id.eyeY - id.browGap - vr.browRaise * 0.035 - id.browArch * 0.045 * (1 - bx * bx) + id.browSlope * 0.035 * bx;
            const thick = id.browThickness * (1 - 0.45 * (bx > 0 ? bx : 0)) * 0.5;
            const a = Math.min(cov(Math.abs(v - centre) - thick), cov(Math.abs(bx) - 1) * 1) * 0.92;
            if (a > 0) {
              const strand = 0.85 + 0.15 * speckle(px, py, vr.noiseSeed);
              fr += (browR * strand - fr) * a;
              fg += (browG * strand - fg) * a;
              fb += (browB * strand - fb) * a;
            }
          }
        }

        // Mole.
        if (id.mole !== null) {
          const mx = u - id.mole[0];
          const my = v - id.mole[1];
          const a = cov(Math.sqrt(mx * mx + my * my) - 0.017) * 0.85;
          if (a > 0) {
            fr += (0.25 - fr) * a;
            fg += (0.15 - fg) * a;
            fb += (0.1 - fb) * a;
          }
        }

        // Hair over the forehead (and the temples) above the hairline.
        if (hasHair) {
          const un = u / W;
          let line = hairline + 0.18 * un * un + 0.08 * id.hairParting * un;
          if (fringe) line = Math.max(line, id.eyeY - id.browGap - 0.1 - 0.04 * triangle(u * 14));
          // Temples and sideburns.
          const sideLine = id.eyeY + 0.12;
          const side = Math.min(cov(W * 0.82 - Math.abs(u)), cov(v - sideLine));
          const a = Math.max(cov(v - line), side);
          if (a > 0) {
            const strand = 0.92 + 0.07 * triangle(u * 30 + 1.5 * triangle(v * 4));
            fr += (hairR * strand - fr) * a;
            fg += (hairG * strand - fg) * a;
            fb += (hairB * strand - fb) * a;
          }
        }

        // Glasses: a frame ring around each eye, the bridge and the temples.
        if (glassesOn) {
          let frame = 0;
          let lens = 0;
          const fw = id.eyeWidth * 1.45;
          const fh = id.eyeHeight * 1.9 + 0.035;
          const gy0 = id.eyeY + 0.012;
          for (let side = -1; side <= 1; side += 2) {
            const gx = (u - side * id.eyeSpacing) / fw;
            const gy = (v - gy0) / fh;
            // Round frames are ellipses, rectangular ones superellipses (power 4).
            const n = id.glasses === 1 ? Math.sqrt(gx * gx + gy * gy) : Math.sqrt(Math.sqrt(gx * gx * gx * gx + gy * gy * gy * gy));
            const d = (n - 1) * fh;
            frame = Math.max(frame, cov(Math.abs(d) - 0.011));
            lens = Math.max(lens, cov(d));
          }
          const bridgeHalf = id.eyeSpacing - fw;
          frame = Math.max(frame, Math.min(cov(Math.abs(u) - bridgeHalf), cov(Math.abs(v - gy0 + fh * 0.3) - 0.009)));
          const outer = id.eyeSpacing + fw;
          frame = Math.max(frame, Math.min(cov(outer - Math.abs(u)), cov(Math.abs(v - gy0 + fh * 0.5) - 0.008)));
          const tintA = lens * 0.12;
          fr += (id.glassesColor[0] - fr) * tintA;
          fg += (id.glassesColor[1] - fg) * tintA;
          fb += (id.glassesColor[2] - fb) * tintA;
          fr += (id.glassesColor[0] - fr) * frame;
          fg += (id.glassesColor[1] - fg) * frame;
          fb += (id.glassesColor[2] - fb) * frame;
        }

        // Sunglasses and masks follow the face's surface.
        if (occ !== null && (occ.kind === 'sunglasses' || occ.kind === 'mask')) {
          let a: number;
          if (occ.kind === 'sunglasses') {
            a = Math.min(cov(Math.abs(v - id.eyeY - 0.01) - id.eyeHeight * 2.2), cov(Math.abs(u) - (id.eyeSpacing + id.eyeWidth * 1.5)));
          } else {
            a = cov(id.noseY - 0.03 - v);
          }
          if (a > 0) {
            const fold = occ.kind === 'mask' ? 0.93 + 0.07 * triangle(v * 25) : 1;
            fr += (occ.color[0] * fold - fr) * a;
            fg += (occ.color[1] * fold - fg) * a;
            fb += (occ.color[2] * fold - fb) * a;
          }
        }

        r += (fr * shade - r) * head;
        g += (fg * shade - g) * head;
        b += (fb * shade - b) * head;
      }

      // Hands and bars cover the image in front of everything.
      if (occ !== null && (occ.kind === 'bar' || occ.kind === 'hand')) {
        const ox = X - occ.x;
        const oy = Y - occ.y;
        const rx = occCos * ox + occSin * oy;
        const ry = -occSin * ox + occCos * oy;
        let d: number;
        if (occ.kind === 'bar') d = Math.max(Math.abs(rx) - occ.halfWidth, Math.abs(ry) - occ.halfHeight);
        else {
          const ex = rx / occ.halfWidth;
          const ey = ry / occ.halfHeight;
          d = (Math.sqrt(ex * ex + ey * ey) - 1) * occ.halfWidth;
        }
        const a = cov(d);
        if (a > 0) {
          const shade = occ.kind === 'hand' ? vr.ambient + vr.diffuse * 0.6 + 0.1 * triangle(rx * 12) : 1;
          r += (occ.color[0] * shade - r) * a;
          g += (occ.color[1] * shade - g) * a;
          b += (occ.color[2] * shade - b) * a;
        }
      }

      // Sensor noise (luminance plus a little chroma) and white balance.
      const n = (noise[noiseAt] as number) * vr.noise;
      const c1 = (noise[(noiseAt + 1) & NOISE_TABLE_MASK] as number) * vr.noise * 0.3;
      const c2 = (noise[(noiseAt + 2) & NOISE_TABLE_MASK] as number) * vr.noise * 0.3;
      noiseAt = (noiseAt + noiseStride) & NOISE_TABLE_MASK;
      pixels[p] = toByte((r + n + c1) * vr.tint[0]);
      pixels[p + 1] = toByte((g + n) * vr.tint[1]);
      pixels[p + 2] = toByte((b + n + c2) * vr.tint[2]);
      p += 3;
    }
  }
  return pixels;
}

/** A hash of the pixel position in [0, 1): stubble and brow hair. */
function speckle(px: number, py: number, seed: number): number {
  let h = Math.imul(px, 0x27d4eb2d) ^ Math.imul(py, 0x165667b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

/** A triangle wave in [−1, 1] with period 2: cheap, engine-independent texture. */
function triangle(x: number): number {
  const f = x * 0.5 - Math.floor(x * 0.5);
  return 4 * Math.abs(f - 0.5) - 1;
}

function toByte(x: number): number {
  return Math.round(clamp01(x) * 255);
}
