/**
 * README examples as tests: every ```ts block (not marked `no-run`) is run, and each line
 * `console.log(…); // → TEXT` must print TEXT. Numbers in TEXT are compared to the digits they
 * show (0.0707 matches 0.07073720166770291, not 0.0708); everything else must match exactly, up
 * to runs of white space. A remark may follow the value after ' — '.
 */
import { writeFileSync } from 'node:fs';
import { format } from 'node:util';
import { expect } from 'vitest';

/** One runnable block of a README, with the line its code starts on. */
export interface ReadmeExample {
  readonly line: number;
  readonly code: string;
}

/** What an annotated `console.log` must print, by README line. */
export interface PrintedExpectation {
  readonly line: number;
  readonly expected: string;
}

/** The global the instrumented code reports to. */
export const README_PRINT_KEY = Symbol.for('@arcface/testing.readme-print');

/** Every ```ts (or ```typescript) block of a README that is not marked `no-run`. */
export function readmeExamples(markdown: string): ReadmeExample[] {
  const found: ReadmeExample[] = [];
  const pattern = /^```(\S*)([^\n]*)\n([\s\S]*?)^```\s*$/gm;
  for (let match = pattern.exec(markdown); match !== null; match = pattern.exec(markdown)) {
    const [, language, flags, code] = match as unknown as [string, string, string, string];
    if ((language === 'ts' || language === 'typescript') && !flags.includes('no-run')) {
      found.push({ line: markdown.slice(0, match.index).split('\n').length + 1, code });
    }
  }
  return found;
}

const ANNOTATED = /^(\s*)console\.log\((.*)\);\s*\/\/ → (.+)$/;

/**
 * Rewrites each annotated `console.log(args); // → TEXT` of an example into a call that reports
 * `util.format(args)` with its README line, and lists what each must print.
 */
export function instrumentPrinted(example: ReadmeExample): { code: string; expectations: PrintedExpectation[] } {
  const expectations: PrintedExpectation[] = [];
  const lines = example.code.split('\n').map((text, i) => {
    const match = ANNOTATED.exec(text);
    if (match === null) return text;
    const [, indent, args, expected] = match as unknown as [string, string, string, string];
    const line = example.line + i;
    // ' — ' starts a remark about the value, not part of it
    expectations.push({ line, expected: (expected.split(' — ')[0] as string).trim() });
    return `${indent}(globalThis as any)[Symbol.for('@arcface/testing.readme-print')](${line}, ${args});`;
  });
  return { code: lines.join('\n'), expectations };
}

const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi;

/** Whether printed text matches an annotation: numbers to the digits shown, the rest exactly. */
export function printedMatches(actual: string, expected: string): boolean {
  const words = (text: string) => text.split(NUMBER).map((part) => part.replace(/\s+/g, ' ').trim());
  const numbers = (text: string) => text.match(NUMBER) ?? [];
  const [actualWords, expectedWords] = [words(actual), words(expected)];
  const [actualNumbers, expectedNumbers] = [numbers(actual), numbers(expected)];
  if (actualWords.length !== expectedWords.length || actualWords.some((w, i) => w !== expectedWords[i])) return false;
  if (actualNumbers.length !== expectedNumbers.length) return false;
  return expectedNumbers.every((text, i) => {
    const want = Number(text);
    const got = Number(actualNumbers[i]);
    const [mantissa = '', exponent] = text.toLowerCase().split('e');
    const decimals = mantissa.includes('.') ? (mantissa.split('.')[1] as string).length : 0;
    const unit = 10 ** (-decimals + (exponent === undefined ? 0 : Number(exponent)));
    return Math.abs(got - want) <= 0.5 * unit * (1 + 1e-9);
  });
}

/**
 * Writes an instrumented block to `file`, imports it, and checks that each of its
 * `console.log(…); // → TEXT` lines printed TEXT (every time it printed).
 */
export async function expectPrintedAsDocumented(block: { code: string; expectations: readonly PrintedExpectation[] }, file: string): Promise<void> {
  const printed = new Map<number, string[]>();
  (globalThis as Record<symbol, unknown>)[README_PRINT_KEY] = (line: number, ...args: unknown[]) => {
    printed.set(line, [...(printed.get(line) ?? []), format(...args)]);
  };
  writeFileSync(file, `${block.code}\nexport {};\n`);
  await import(/* @vite-ignore */ file);
  for (const { line, expected } of block.expectations) {
    const outputs = printed.get(line) ?? [];
    expect(outputs.length, `README line ${line} printed nothing`).toBeGreaterThan(0);
    for (const output of outputs) {
      expect(printedMatches(output, expected), `README line ${line} printed ${output}, the README says ${expected}`).toBe(true);
    }
  }
}
