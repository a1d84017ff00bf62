import { describe, expect, it } from 'vitest';
import { isoToLocalInput, localInputToIso } from './time';

describe('datetime-local conversion', () => {
  it('round-trips a local minute', () => {
    const iso = localInputToIso('2026-12-01T09:30');
    expect(iso).not.toBeNull();
    expect(isoToLocalInput(iso!)).toBe('2026-12-01T09:30');
  });
  it('rejects empty and invalid input', () => {
    expect(localInputToIso('')).toBeNull();
    expect(localInputToIso('yesterday')).toBeNull();
    expect(isoToLocalInput('nope')).toBe('');
  });
});
