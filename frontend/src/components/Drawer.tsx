import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A side panel on the native modal <dialog>: focus moves into it and is
 * kept there, Escape closes it, and focus returns to where it was.
 */
export function Drawer({ title, onClose, children, actions }: { title: ReactNode; onClose: () => void; children: ReactNode; actions?: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="drawer"
      aria-labelledby={titleId}
      onCancel={(e) => {
        // Escape: let the owner unmount the drawer, which closes the dialog.
        e.preventDefault();
        onClose();
      }}
    >
      <div className="drawer-header">
        <h2 id={titleId}>{title}</h2>
        <div className="row">
          {actions}
          <button type="button" onClick={onClose} aria-label="Close">
            Close
          </button>
        </div>
      </div>
      <div className="drawer-body">{children}</div>
    </dialog>
  );
}
