import type { DeliveryRowFragment, DeliveryStatus, DeliveryWhereInput } from '../../gql/graphql';

// The rows of the delivery log: history pages and live attempts merged by
// delivery ID, newest delivery first.

export type LogRow = DeliveryRowFragment;

export interface LogFilter {
  webhookId: string;
  status: DeliveryStatus | '';
  /** RFC 3339; '' for no lower bound. */
  since: string;
}

export const emptyFilter: LogFilter = { webhookId: '', status: '', since: '' };

/** Bound on rows kept in memory; the oldest are dropped beyond it. */
export const maxRows = 20_000;

const time = (iso: string) => Date.parse(iso);

/** Newest first: by createdAt, then by ID for deliveries created together. */
export function compareRows(a: LogRow, b: LogRow): number {
  const t = time(b.createdAt) - time(a.createdAt);
  if (t !== 0) return t;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function insertionIndex(rows: readonly LogRow[], row: LogRow): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareRows(rows[mid]!, row) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sortRows(rows: LogRow[]): LogRow[] {
  return rows
    .map((row) => ({ row, t: time(row.createdAt) }))
    .sort((a, b) => b.t - a.t || (a.row.id < b.row.id ? 1 : a.row.id > b.row.id ? -1 : 0))
    .map((x) => x.row);
}

/**
 * Merges rows into the log. A row replaces the one with its ID unless that
 * one is newer (a history page can arrive after a live update). Live updates
 * are about recent deliveries, near the top, so the scan usually stops early.
 */
export function upsertRows(rows: readonly LogRow[], incoming: readonly LogRow[], limit = maxRows): readonly LogRow[] {
  if (incoming.length === 0) return rows;
  const latest = new Map<string, LogRow>();
  for (const row of incoming) {
    const seen = latest.get(row.id);
    if (!seen || time(row.updatedAt) >= time(seen.updatedAt)) latest.set(row.id, row);
  }
  let out = rows.slice();
  for (let i = 0; i < out.length && latest.size > 0; i++) {
    const current = out[i]!;
    const row = latest.get(current.id);
    if (!row) continue;
    latest.delete(current.id);
    if (time(row.updatedAt) >= time(current.updatedAt)) out[i] = row;
  }
  const added = [...latest.values()];
  if (added.length > 64) out = sortRows(out.concat(added));
  else for (const row of added) out.splice(insertionIndex(out, row), 0, row);
  if (out.length > limit) out = out.slice(0, limit);
  return out;
}

export function matchesFilter(row: LogRow, filter: LogFilter): boolean {
  if (filter.webhookId !== '' && row.webhook.id !== filter.webhookId) return false;
  if (filter.status !== '' && row.status !== filter.status) return false;
  if (filter.since !== '' && Date.parse(row.createdAt) < Date.parse(filter.since)) return false;
  return true;
}

/** The deliveries connection's where for a filter. */
export function whereFor(filter: LogFilter): DeliveryWhereInput {
  const where: DeliveryWhereInput = {};
  if (filter.webhookId !== '') where.hasWebhookWith = [{ id: filter.webhookId }];
  if (filter.status !== '') where.status = filter.status;
  if (filter.since !== '') where.createdAtGTE = filter.since;
  return where;
}
