import { describe, expect, it } from 'vitest';

import { OptionValueError } from './cli-errors';
import { augmentOption } from './command-train';

describe('--augment', () => {
  it('defaults to flips and parses every known key', () => {
    expect(augmentOption(undefined)).toEqual({ flip: 0.5 });
    expect(augmentOption('{"flip": 0.5, "crop": {"scale": [0.8, 1]}, "brightness": 0.2, "contrast": 0.1}')).toEqual({
      flip: 0.5,
      crop: { scale: [0.8, 1] },
      brightness: 0.2,
      contrast: 0.1,
    });
    expect(augmentOption('{}')).toEqual({});
  });

  it('refuses unknown keys, values out of range and malformed crops with a message that says what to pass', () => {
    expect(() => augmentOption('{"rotate": 10}')).toThrow(OptionValueError);
    expect(() => augmentOption('{"rotate": 10}')).toThrow(/unknown key 'rotate'; use flip, crop, brightness or contrast/);
    expect(() => augmentOption('{"flip": 2}')).toThrow(/flip must be a number in \[0, 1\], got 2/);
    expect(() => augmentOption('{"crop": {"scale": [0.9, 0.5]}}')).toThrow(/crop must be \{"scale": \[low, high\]\}/);
    expect(() => augmentOption('{"crop": 0.8}')).toThrow(/crop must be/);
    expect(() => augmentOption('flip')).toThrow(/--augment must be a JSON object/);
  });
});
