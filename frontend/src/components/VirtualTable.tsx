import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { computeWindow, moveIndex, scrollToReveal } from '../lib/virtual';

export interface Column<T> {
  id: string;
  header: string;
  /** A CSS grid track size: "10rem", "1fr". */
  width: string;
  render: (row: T) => ReactNode;
}

export interface VirtualTableProps<T> {
  label: string;
  rows: readonly T[];
  columns: ReadonlyArray<Column<T>>;
  rowKey: (row: T) => string;
  /** Said after the first cell's text by the button that opens the row (screen readers only). */
  rowTitle: (row: T) => string;
  onOpen: (row: T) => void;
  activeKey?: string | null;
  rowHeight?: number;
  height?: number;
  overscan?: number;
}

/**
 * A table that renders only the rows in view, so that tens of thousands of
 * rows scroll smoothly. Every row has a button in its first cell; the arrow
 * keys, Page Up/Down, Home and End move between those buttons.
 */
export function VirtualTable<T>({
  label,
  rows,
  columns,
  rowKey,
  rowTitle,
  onOpen,
  activeKey = null,
  rowHeight = 40,
  height = 560,
  overscan = 8,
}: VirtualTableProps<T>) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(height);
  const [focusIndex, setFocusIndex] = useState<number | null>(null);
  const frame = useRef(0);

  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el) return;
    setViewportHeight(el.clientHeight);
    const observer = new ResizeObserver(() => setViewportHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const onScroll = useCallback(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => setScrollTop(viewport.current?.scrollTop ?? 0));
  }, []);

  const win = computeWindow({ scrollTop, viewportHeight, rowHeight, count: rows.length, overscan });
  const template = columns.map((c) => c.width).join(' ');

  // After keyboard navigation, focus the button of the row once it is rendered.
  useEffect(() => {
    if (focusIndex === null) return;
    const button = viewport.current?.querySelector<HTMLButtonElement>(`[data-index="${focusIndex}"] button[data-open]`);
    if (button) {
      button.focus({ preventScroll: true });
      setFocusIndex(null);
    }
  });

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const target = e.target as HTMLElement;
    const rowEl = target.closest<HTMLElement>('[data-index]');
    if (!rowEl || !viewport.current) return;
    const index = Number(rowEl.dataset['index']);
    const next = moveIndex(index, e.key, rows.length, Math.floor(viewportHeight / rowHeight) - 1);
    if (next === null || next === index) return;
    e.preventDefault();
    const top = scrollToReveal(next, rowHeight, viewport.current.scrollTop, viewportHeight);
    viewport.current.scrollTop = top;
    setScrollTop(top);
    setFocusIndex(next);
  }

  const visible = rows.slice(win.start, win.end);
  return (
    <div className="vt" role="table" aria-label={label} aria-rowcount={rows.length + 1}>
      <div role="rowgroup">
        <div className="vt-row vt-head" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template, height: rowHeight }}>
          {columns.map((c) => (
            <div key={c.id} role="columnheader">
              {c.header}
            </div>
          ))}
        </div>
      </div>
      <div className="vt-viewport" ref={viewport} onScroll={onScroll} onKeyDown={onKeyDown} style={{ height: Math.min(height, rows.length * rowHeight + 2) }}>
        <div className="vt-body" role="rowgroup" style={{ height: win.totalHeight, position: 'relative' }}>
          {visible.map((row, i) => {
            const index = win.start + i;
            const key = rowKey(row);
            return (
              <div
                key={key}
                role="row"
                aria-rowindex={index + 2}
                data-index={index}
                className={`vt-row${key === activeKey ? ' active' : ''}`}
                style={{ gridTemplateColumns: template, height: rowHeight, top: index * rowHeight }}
                onClick={(e) => {
                  if ((e.target as HTMLElement).closest('button, a')) return;
                  onOpen(row);
                }}
              >
                {columns.map((c, ci) => (
                  <div key={c.id} role="cell">
                    {ci === 0 ? (
                      <button type="button" className="link" data-open onClick={() => onOpen(row)}>
                        {c.render(row)}
                        <span className="visually-hidden"> — {rowTitle(row)}</span>
                      </button>
                    ) : (
                      c.render(row)
                    )}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
