/** A 2-D point (x, y) in pixel coordinates: x to the right, y down, pixel centres at integers. */
export type Point = readonly [number, number];

/**
 * insightface's five-point template for 112×112 crops (`face_align.arcface_dst`): left eye,
 * right eye, nose tip, left mouth corner, right mouth corner, as seen in the image.
 */
export const ARCFACE_TEMPLATE_112: readonly Point[] = Object.freeze(
  (
    [
      [38.2946, 51.6963],
      [73.5318, 51.5014],
      [56.0252, 71.7366],
      [41.5493, 92.3655],
      [70.7299, 92.2041],
    ] as const
  ).map((p) => Object.freeze(p)),
);
