import { describe, expect, it } from 'vitest';

import { DEMO_MARGINS, demoSettings } from './demo-settings';

describe('demoSettings', () => {
  it('the default recipe: synthetic wild faces, several paired seeds, every margin', () => {
    const s = demoSettings({ seed: 3 });
    expect(s.recipe.name).toBe('synthetic');
    expect(s.seeds).toEqual([3, 4, 5, 6, 7, 8]);
    expect(s.conditions).toBe('wild');
    expect(s.backdrop).toBe('plain');
    expect(s.margins).toBe(DEMO_MARGINS);
    expect(s.classCounts.enabled).toBe(true);
    expect(s.quick).toBe(false);
  });

  it('--data picks the real-faces recipe: larger input, crop and colour augmentation', () => {
    const s = demoSettings({ data: true });
    expect(s.recipe.name).toBe('real-faces');
    expect(s.recipe.description).toMatch(/48×48/);
    expect(s.imageSize).toBe(48);
    expect(s.augment).toEqual({ flip: 0.5, crop: { scale: [0.8, 1] }, brightness: 0.2, contrast: 0.2 });
    expect(s.seeds.length).toBeGreaterThanOrEqual(3);
  });

  it('--quick is a one-seed smoke test whatever the data', () => {
    for (const data of [false, true]) {
      const s = demoSettings({ quick: true, data });
      expect(s.recipe.name).toBe('quick');
      expect(s.recipe.description).toMatch(/smoke test.*no claim/);
      expect(s.seeds).toHaveLength(1);
    }
  });
});
