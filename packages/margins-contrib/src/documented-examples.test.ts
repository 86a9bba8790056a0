import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectPrintedAsDocumented, instrumentPrinted, printedMatches, readmeExamples } from '@arcface/testing';
import { afterAll, describe, expect, it } from 'vitest';

// Runs every ```ts block of this package's README, as a reader would paste it, and checks that
// each `console.log(…); // → TEXT` prints TEXT (numbers to the digits shown). A block marked
// `ts no-run` is shown but not run. The blocks are written into the package (so imports resolve
// as in the workspace) and imported.
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(PACKAGE_DIR, '.readme-examples');

describe('README.md examples', () => {
  const blocks = readmeExamples(readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8')).map(instrumentPrinted);
  mkdirSync(OUT_DIR, { recursive: true });
  afterAll(() => rmSync(OUT_DIR, { recursive: true, force: true }));

  it('has runnable examples whose printed values are stated', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(blocks.flatMap((b) => b.expectations).length).toBeGreaterThanOrEqual(15);
  });

  for (const [index, block] of blocks.entries()) {
    it(`example ${index + 1} runs and prints what it says`, async () => {
      await expectPrintedAsDocumented(block, join(OUT_DIR, `example-${index + 1}.ts`));
    });
  }
});

describe('printedMatches', () => {
  it('compares numbers to the digits shown and the rest exactly', () => {
    expect(printedMatches('0.07073720166770291', '0.0707')).toBe(true);
    expect(printedMatches('0.07073720166770291', '0.0708')).toBe(false);
    expect(printedMatches('[ 6, 8 ] [ 9, 8 ]', '[ 6, 8 ] [ 9, 8 ]')).toBe(true);
    expect(printedMatches('[ 6, 8 ] [ 9, 8 ]', '[ 6, 8 ] [ 9, 9 ]')).toBe(false);
    expect(printedMatches('true', 'false')).toBe(false);
    expect(printedMatches('{ t: 0.0121 }', '{ t: 0.012 }')).toBe(true);
    expect(printedMatches('{ t: 0.0126 }', '{ t: 0.012 }')).toBe(false);
    expect(printedMatches('1.5e-7', '1.5e-7')).toBe(true);
    expect(printedMatches('1.6e-7', '1.5e-7')).toBe(false);
  });
});
