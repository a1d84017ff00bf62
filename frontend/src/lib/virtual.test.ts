import { describe, expect, it } from 'vitest';
import { computeWindow, moveIndex, scrollToReveal } from './virtual';

describe('virtual list math', () => {
  const base = { rowHeight: 40, viewportHeight: 400, count: 10_000, overscan: 5 };

  it('renders a screenful plus overscan at the top', () => {
    expect(computeWindow({ ...base, scrollTop: 0 })).toEqual({ start: 0, end: 15, offsetTop: 0, totalHeight: 400_000 });
  });

  it('follows the scroll position', () => {
    const w = computeWindow({ ...base, scrollTop: 40 * 5000 + 20 });
    expect(w.start).toBe(4995);
    expect(w.end).toBe(5016);
    expect(w.offsetTop).toBe(4995 * 40);
    expect(w.end - w.start).toBeLessThan(30);
  });

  it('clamps at the end and past it', () => {
    const w = computeWindow({ ...base, scrollTop: 10_000_000 });
    expect(w.end).toBe(10_000);
    expect(w.start).toBe(10_000 - 10 - 5);
  });

  it('handles short and empty lists', () => {
    expect(computeWindow({ ...base, count: 3, scrollTop: 0 })).toEqual({ start: 0, end: 3, offsetTop: 0, totalHeight: 120 });
    expect(computeWindow({ ...base, count: 0, scrollTop: 50 })).toEqual({ start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
    expect(computeWindow({ ...base, scrollTop: -30 }).start).toBe(0);
  });

  it('renders at least one row in a zero-height viewport', () => {
    const w = computeWindow({ ...base, viewportHeight: 0, overscan: 0, scrollTop: 80 });
    expect([w.start, w.end]).toEqual([2, 3]);
  });

  it('scrolls as little as needed to reveal a row', () => {
    expect(scrollToReveal(5, 40, 0, 400)).toBe(0);
    expect(scrollToReveal(12, 40, 0, 400)).toBe(13 * 40 - 400);
    expect(scrollToReveal(2, 40, 200, 400)).toBe(80);
  });

  it('moves the active row by key', () => {
    expect(moveIndex(0, 'ArrowUp', 10, 5)).toBe(0);
    expect(moveIndex(0, 'ArrowDown', 10, 5)).toBe(1);
    expect(moveIndex(3, 'PageDown', 10, 5)).toBe(8);
    expect(moveIndex(8, 'PageDown', 10, 5)).toBe(9);
    expect(moveIndex(4, 'Home', 10, 5)).toBe(0);
    expect(moveIndex(4, 'End', 10, 5)).toBe(9);
    expect(moveIndex(4, 'a', 10, 5)).toBeNull();
    expect(moveIndex(0, 'ArrowDown', 0, 5)).toBeNull();
  });
});
