import type { PageCursor } from '../lib/relay';

export function Pager({
  prev,
  next,
  onPage,
  total,
  shown,
  noun,
}: {
  prev: PageCursor | null;
  next: PageCursor | null;
  onPage: (cursor: PageCursor) => void;
  total: number;
  shown: number;
  noun: string;
}) {
  return (
    <nav className="pager" aria-label={`${noun} pages`}>
      <span className="muted" role="status">
        Showing {shown} of {total} {noun}
      </span>
      <span className="row">
        <button type="button" disabled={!prev} onClick={() => prev && onPage(prev)}>
          ← Previous
        </button>
        <button type="button" disabled={!next} onClick={() => next && onPage(next)}>
          Next →
        </button>
      </span>
    </nav>
  );
}
