import { useEffect, useId, useRef, useState } from 'react';

async function copyText(text: string, fallbackInput: HTMLInputElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Fall through to the selection-based copy.
  }
  if (!fallbackInput) return false;
  fallbackInput.focus();
  fallbackInput.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/** A read-only text box with a Copy button; the result is announced politely. */
export function CopyField({ label, value, hint }: { label: string; value: string; hint?: string }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState('');
  useEffect(() => {
    if (status === '') return;
    const t = window.setTimeout(() => setStatus(''), 2500);
    return () => window.clearTimeout(t);
  }, [status]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-field">
        <input id={id} ref={input} type="text" readOnly value={value} onFocus={(e) => e.target.select()} aria-describedby={hint ? `${id}-hint` : undefined} />
        <button
          type="button"
          onClick={async () => setStatus((await copyText(value, input.current)) ? 'Copied' : 'Select the text and copy it')}
          aria-label={`Copy ${label}`}
        >
          Copy
        </button>
        <span role="status" className="muted">
          {status}
        </span>
      </div>
      {hint ? (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      ) : null}
    </div>
  );
}

/** A newly issued secret, shown this once. */
export function SecretNotice({
  title,
  secret,
  detail,
  label = 'Signing secret',
  onDismiss,
}: {
  title: string;
  secret: string;
  detail?: string;
  label?: string;
  onDismiss: () => void;
}) {
  return (
    <div className="notice warning" role="status">
      <h2>{title}</h2>
      <p>Copy it now: it is shown only this once and cannot be read back later.{detail ? ` ${detail}` : ''}</p>
      <CopyField label={label} value={secret} />
      <button type="button" onClick={onDismiss}>
        I have stored it
      </button>
    </div>
  );
}
