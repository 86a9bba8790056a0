import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Runs every ```ts block of this package's README, as a reader would paste it. A block marked
// `ts no-run` is shown but not run. The blocks are written into the package (so imports resolve
// as in the workspace) and imported.
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(PACKAGE_DIR, '.readme-examples');

function examples(markdown: string): Array<{ line: number; code: string }> {
  const found: Array<{ line: number; code: string }> = [];
  const pattern = /^```(\S*)([^\n]*)\n([\s\S]*?)^```\s*$/gm;
  for (let match = pattern.exec(markdown); match !== null; match = pattern.exec(markdown)) {
    const [, language, flags, code] = match as unknown as [string, string, string, string];
    if ((language === 'ts' || language === 'typescript') && !flags.includes('no-run')) {
      found.push({ line: markdown.slice(0, match.index).split('\n').length, code });
    }
  }
  return found;
}

describe('README.md examples', () => {
  const blocks = examples(readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8'));
  mkdirSync(OUT_DIR, { recursive: true });
  afterAll(() => rmSync(OUT_DIR, { recursive: true, force: true }));

  it('has runnable examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  for (const [index, block] of blocks.entries()) {
    it(`example ${index + 1} (line ${block.line}) runs`, async () => {
      const file = join(OUT_DIR, `example-${index + 1}.ts`);
      writeFileSync(file, `${block.code}\nexport {};\n`);
      await expect(import(/* @vite-ignore */ file)).resolves.toBeDefined();
    });
  }
});
