import { useEffect, useId, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { useApiToken } from '../api/ApiProvider';
import { getIdToken, setIdToken, setToken, subscribeToken } from '../api/token';

/** The settings menu: an optional API token, kept in this browser. */
export function SettingsMenu() {
  const token = useApiToken();
  const idToken = useSyncExternalStore(subscribeToken, getIdToken);
  const [draft, setDraft] = useState(token);
  const [saved, setSaved] = useState('');
  const details = useRef<HTMLDetailsElement>(null);
  const id = useId();

  // Close when the pointer goes down outside the menu.
  useEffect(() => {
    const onPointerDown = (e: PointerEvent) => {
      const el = details.current;
      if (el?.open && e.target instanceof Node && !el.contains(e.target)) el.open = false;
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, []);

  function save(e: FormEvent) {
    e.preventDefault();
    setToken(draft);
    setSaved(draft.trim() === '' ? 'Token cleared.' : 'Token saved.');
  }

  return (
    <details
      className="settings"
      ref={details}
      onToggle={() => {
        if (details.current?.open) {
          setDraft(token);
          setSaved('');
        }
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && details.current?.open) {
          details.current.open = false;
          details.current.querySelector('summary')?.focus();
        }
      }}
    >
      <summary>Settings{idToken ? ' · signed in' : token ? ' · token set' : ''}</summary>
      <form className="settings-panel" onSubmit={save}>
        {idToken ? (
          <p className="row">
            <span>Signed in with OpenID Connect (used before the API token).</span>
            <button type="button" onClick={() => setIdToken('')}>
              Sign out
            </button>
          </p>
        ) : null}
        <div className="field">
          <label htmlFor={`${id}-token`}>API token</label>
          <input
            id={`${id}-token`}
            type="password"
            autoComplete="off"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            aria-describedby={`${id}-hint`}
          />
          <span id={`${id}-hint`} className="hint">
            Sent as <code>Authorization: Bearer …</code>. Leave empty for a dev-mode server on this machine. Kept in this browser's local storage.
          </span>
        </div>
        <div className="row">
          <button type="submit" className="primary">
            Save
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft('');
              setToken('');
              setSaved('Token cleared.');
            }}
          >
            Clear
          </button>
          <span role="status" className="muted">
            {saved}
          </span>
        </div>
      </form>
    </details>
  );
}
