import { describe, expect, it } from 'vitest';
import { matchesFilter, upsertRows, whereFor, type LogRow } from './logState';

let seq = 0;
function row(id: string, createdAt: string, over: Partial<LogRow> = {}): LogRow {
  seq++;
  return {
    __typename: 'Delivery',
    id,
    createdAt,
    updatedAt: createdAt,
    trigger: 'CREATE_USER',
    eventType: 'user.created',
    status: 'PENDING',
    attemptCount: 0,
    nextAttemptAt: null,
    lastError: null,
    test: false,
    finishedAt: null,
    webhook: { __typename: 'ProfileWebhook', id: 'whk_1', name: 'HR' },
    user: { __typename: 'User', id: `usr_${seq}`, email: null, displayName: null },
    ...over,
  };
}

describe('delivery log rows', () => {
  it('keeps the newest delivery first', () => {
    const rows = upsertRows([], [row('b', '2026-01-01T00:00:02Z'), row('a', '2026-01-01T00:00:01Z'), row('c', '2026-01-01T00:00:03Z')]);
    expect(rows.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    const more = upsertRows(rows, [row('d', '2026-01-01T00:00:00Z'), row('e', '2026-01-01T00:00:09Z')]);
    expect(more.map((r) => r.id)).toEqual(['e', 'c', 'b', 'a', 'd']);
  });

  it('replaces a row by a newer version and keeps its place', () => {
    const rows = upsertRows([], [row('a', '2026-01-01T00:00:01Z'), row('b', '2026-01-01T00:00:02Z')]);
    const updated = upsertRows(rows, [row('a', '2026-01-01T00:00:01Z', { status: 'SUCCEEDED', updatedAt: '2026-01-01T00:00:05Z' })]);
    expect(updated.map((r) => [r.id, r.status])).toEqual([
      ['b', 'PENDING'],
      ['a', 'SUCCEEDED'],
    ]);
  });

  it('ignores an older version arriving late', () => {
    const live = upsertRows([], [row('a', '2026-01-01T00:00:01Z', { status: 'SUCCEEDED', updatedAt: '2026-01-01T00:00:05Z' })]);
    const stale = upsertRows(live, [row('a', '2026-01-01T00:00:01Z')]);
    expect(stale[0]!.status).toBe('SUCCEEDED');
  });

  it('dedupes within one batch', () => {
    const rows = upsertRows([], [row('a', '2026-01-01T00:00:01Z'), row('a', '2026-01-01T00:00:01Z', { status: 'FAILED', updatedAt: '2026-01-01T00:00:02Z' })]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('FAILED');
  });

  it('drops the oldest rows beyond the limit', () => {
    const rows = upsertRows([], [row('a', '2026-01-01T00:00:01Z'), row('b', '2026-01-01T00:00:02Z'), row('c', '2026-01-01T00:00:03Z')], 2);
    expect(rows.map((r) => r.id)).toEqual(['c', 'b']);
  });

  it('merges 10,000 rows quickly', () => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    const many = Array.from({ length: 10_000 }, (_, i) => row(`d${i}`, new Date(base + i * 1000).toISOString()));
    const start = performance.now();
    let rows = upsertRows([], many);
    for (let i = 0; i < 200; i++) rows = upsertRows(rows, [row(`n${i}`, new Date(base + 20_000_000 + i).toISOString())]);
    expect(rows).toHaveLength(10_200);
    // Generous: the point is no quadratic blow-up, not a benchmark.
    expect(performance.now() - start).toBeLessThan(5000);
  });

  it('filters rows and builds the matching where', () => {
    const r = row('a', '2026-01-01T00:00:05Z', { status: 'FAILED' });
    expect(matchesFilter(r, { webhookId: '', status: '', since: '' })).toBe(true);
    expect(matchesFilter(r, { webhookId: 'whk_2', status: '', since: '' })).toBe(false);
    expect(matchesFilter(r, { webhookId: 'whk_1', status: 'FAILED', since: '2026-01-01T00:00:05Z' })).toBe(true);
    expect(matchesFilter(r, { webhookId: '', status: 'SUCCEEDED', since: '' })).toBe(false);
    expect(matchesFilter(r, { webhookId: '', status: '', since: '2026-01-01T00:00:06Z' })).toBe(false);
    expect(whereFor({ webhookId: 'whk_1', status: 'FAILED', since: '2026-01-01T00:00:00Z' })).toEqual({
      hasWebhookWith: [{ id: 'whk_1' }],
      status: 'FAILED',
      createdAtGTE: '2026-01-01T00:00:00Z',
    });
    expect(whereFor({ webhookId: '', status: '', since: '' })).toEqual({});
  });
});
