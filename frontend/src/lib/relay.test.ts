import { describe, expect, it } from 'vitest';
import { appendPage, firstPage, neighbours, nodesOf, pageArgs } from './relay';

const info = (over: Partial<{ hasNextPage: boolean; hasPreviousPage: boolean }> = {}) => ({
  hasNextPage: false,
  hasPreviousPage: false,
  startCursor: 'S',
  endCursor: 'E',
  ...over,
});

describe('relay pagination helper', () => {
  it('turns a cursor into connection arguments', () => {
    expect(pageArgs(firstPage, 20)).toEqual({ first: 20 });
    expect(pageArgs({ kind: 'after', cursor: 'c' }, 20)).toEqual({ first: 20, after: 'c' });
    expect(pageArgs({ kind: 'before', cursor: 'c' }, 20)).toEqual({ last: 20, before: 'c' });
  });

  it('has no previous page on the first page', () => {
    expect(neighbours(firstPage, info({ hasNextPage: true, hasPreviousPage: true }))).toEqual({
      prev: null,
      next: { kind: 'after', cursor: 'E' },
    });
  });

  it('can always go back after paging forward', () => {
    expect(neighbours({ kind: 'after', cursor: 'x' }, info())).toEqual({ prev: { kind: 'before', cursor: 'S' }, next: null });
  });

  it('can always go forward after paging back, and back while there is more', () => {
    expect(neighbours({ kind: 'before', cursor: 'x' }, info())).toEqual({ prev: null, next: { kind: 'after', cursor: 'E' } });
    expect(neighbours({ kind: 'before', cursor: 'x' }, info({ hasPreviousPage: true })).prev).toEqual({ kind: 'before', cursor: 'S' });
  });

  it('has nowhere to go on an empty page', () => {
    expect(neighbours({ kind: 'after', cursor: 'x' }, { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null })).toEqual({
      prev: null,
      next: null,
    });
  });

  it('reads nodes and skips null edges', () => {
    expect(nodesOf({ edges: [{ node: { id: 'a' } }, null, { node: null }, { node: { id: 'b' } }] })).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(nodesOf(null)).toEqual([]);
  });

  it('appends a page without duplicates', () => {
    expect(appendPage([{ id: 'a' }, { id: 'b' }], [{ id: 'b' }, { id: 'c' }])).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
  });
});
