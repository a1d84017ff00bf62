// Relay cursor pagination: which page to ask for, and where the previous
// and next pages are.

export interface PageInfoLike {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly startCursor?: string | null;
  readonly endCursor?: string | null;
}

export type PageCursor =
  | { readonly kind: 'first' }
  | { readonly kind: 'after'; readonly cursor: string }
  | { readonly kind: 'before'; readonly cursor: string };

export const firstPage: PageCursor = { kind: 'first' };

export interface PageArgs {
  first?: number;
  after?: string;
  last?: number;
  before?: string;
}

export function pageArgs(cursor: PageCursor, size: number): PageArgs {
  switch (cursor.kind) {
    case 'first':
      return { first: size };
    case 'after':
      return { first: size, after: cursor.cursor };
    case 'before':
      return { last: size, before: cursor.cursor };
  }
}

/**
 * Where the neighbouring pages are. A connection paged forward does not
 * have to say whether pages lie behind it (and one paged backward whether
 * pages lie ahead), so the direction we came from counts as known.
 */
export function neighbours(cursor: PageCursor, pageInfo: PageInfoLike): { prev: PageCursor | null; next: PageCursor | null } {
  const canPrev = cursor.kind === 'after' || (cursor.kind === 'before' && pageInfo.hasPreviousPage);
  const canNext = cursor.kind === 'before' || pageInfo.hasNextPage;
  return {
    prev: canPrev && pageInfo.startCursor ? { kind: 'before', cursor: pageInfo.startCursor } : null,
    next: canNext && pageInfo.endCursor ? { kind: 'after', cursor: pageInfo.endCursor } : null,
  };
}

/** The nodes of a connection, without null edges or nodes. */
export function nodesOf<N>(connection: { readonly edges?: ReadonlyArray<{ readonly node?: N | null } | null> | null } | null | undefined): N[] {
  const out: N[] = [];
  for (const edge of connection?.edges ?? []) {
    if (edge?.node != null) out.push(edge.node);
  }
  return out;
}

/** Appends a further page, dropping nodes already present (by id). */
export function appendPage<N extends { readonly id: string }>(existing: readonly N[], page: readonly N[]): N[] {
  const seen = new Set(existing.map((n) => n.id));
  return [...existing, ...page.filter((n) => !seen.has(n.id))];
}
