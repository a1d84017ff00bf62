import { createContext, useContext, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { ViewerDocument, type ViewerQuery } from '../gql/graphql';

export type ViewerInfo = ViewerQuery['viewer'];

const ViewerContext = createContext<ViewerInfo | null>(null);

/** Asks the server who the caller is (`viewer`) and provides it to the pages. */
export function ViewerProvider({ children }: { children: ReactNode }) {
  const [{ data }] = useQuery({ query: ViewerDocument });
  return <ViewerContext.Provider value={data?.viewer ?? null}>{children}</ViewerContext.Provider>;
}

export function useViewer(): ViewerInfo | null {
  return useContext(ViewerContext);
}

/**
 * Whether the caller may run mutations. A VIEWER may not: forms are shown
 * read-only and mutation controls are left out. Until the server has
 * answered, editing stays allowed (the server refuses what it must).
 */
export function useCanEdit(): boolean {
  return useContext(ViewerContext)?.role !== 'VIEWER';
}

/** Shows the caller in the header: name (or subject) and role. */
export function ViewerBadge() {
  const viewer = useViewer();
  if (!viewer) return null;
  return (
    <span className="viewer-badge">
      {viewer.name || viewer.subject} · <span className="badge">{viewer.role === 'VIEWER' ? 'Read-only' : 'Admin'}</span>
    </span>
  );
}
