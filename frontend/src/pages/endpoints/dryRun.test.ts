import { describe, expect, test } from 'vitest';
import { parseJsonObject, showJson } from './dryRun';

describe('dry-run payload', () => {
  test('accepts one object', () => {
    expect(parseJsonObject('{"a": {"b": 1}}')).toEqual({ ok: true, value: { a: { b: 1 } } });
  });
  test('refuses arrays, scalars and bad JSON', () => {
    expect(parseJsonObject('[1]').ok).toBe(false);
    expect(parseJsonObject('3').ok).toBe(false);
    expect(parseJsonObject('{').ok).toBe(false);
  });
  test('shows values as JSON', () => {
    expect(showJson('x')).toBe('"x"');
    expect(showJson(null)).toBe('null');
    expect(showJson(undefined)).toBe('null');
  });
});
