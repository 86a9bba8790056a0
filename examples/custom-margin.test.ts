import { expect, it } from 'vitest';
import { runCustomMarginExample } from './custom-margin';

it('registers the plugin, passes checkMargin and the loss falls while training', async () => {
  const lines: string[] = [];
  const { losses, angles, checkOk } = await runCustomMarginExample({ steps: 30, log: (line) => lines.push(line) });
  expect(checkOk).toBe(true);
  expect(lines[0]).toBe('checkMargin(linear-angular): ok');
  expect(losses).toHaveLength(30);
  expect(losses.every(Number.isFinite)).toBe(true);
  // falls overall, and by a clear amount: the last five steps average below half the first
  const tail = losses.slice(-5).reduce((a, v) => a + v, 0) / 5;
  expect(tail).toBeLessThan((losses[0] as number) / 2);
  // the embeddings move towards their centres
  expect(angles[angles.length - 1] as number).toBeLessThan(angles[0] as number);
});
