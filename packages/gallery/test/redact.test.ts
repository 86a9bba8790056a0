import { describe, expect, it } from 'vitest';
import { redactConnectionString } from '../src/index';

describe('redactConnectionString', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/faces', 'postgres://app:***@db:5432/faces'],
    ['postgresql://app:p%40ss:w@db/faces?sslmode=require', 'postgresql://app:***@db/faces?sslmode=require'],
    ['postgres://db/faces?user=app&password=s3cret&x=1', 'postgres://db/faces?user=app&password=***&x=1'],
    ['postgres://app@db/faces', 'postgres://app@db/faces'],
    ['postgres://postgres@localhost:54329/postgres?host=/tmp/x', 'postgres://postgres@localhost:54329/postgres?host=/tmp/x'],
    ['./faces.db', './faces.db'],
  ])('%s → %s', (input, expected) => {
    expect(redactConnectionString(input)).toBe(expected);
  });
});
