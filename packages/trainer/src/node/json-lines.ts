import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A metrics sink for `createTrainer({ metrics })` that appends one JSON object per line to
 * `path` (a JSON-lines log: `jq`, pandas `read_json(lines=True)`). Each record gets a `time`
 * field (ISO 8601) unless it has one.
 *
 * @example
 * createTrainer({ ..., metrics: jsonLinesWriter('runs/arcface/metrics.jsonl') });
 */
export function jsonLinesWriter(path: string, clock: { now(): number } = Date): (record: Record<string, unknown>) => void {
  mkdirSync(dirname(path), { recursive: true });
  return (record) => {
    appendFileSync(path, `${JSON.stringify({ time: new Date(clock.now()).toISOString(), ...record })}\n`);
  };
}
