import { useEffect, useState, type ReactNode } from 'react';
import { useCredential } from '../api/ApiProvider';
import { fetchAuthConfig, startSignIn, takeSignInError, type AuthConfig } from '../api/oidc';
import { PageHeader } from './states';

/**
 * Asks for a sign-in when the server requires one (GET /auth/config) and
 * the console has no credential: with OIDC configured, a button starts the
 * Authorization Code flow; an API token under Settings works as well.
 */
export function SignInGate({ children }: { children: ReactNode }) {
  const credential = useCredential();
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [error, setError] = useState(() => takeSignInError());
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    void fetchAuthConfig().then((c) => {
      if (live) setConfig(c);
    });
    return () => {
      live = false;
    };
  }, []);

  const notice = error ? (
    <div className="notice error" role="alert">
      {error}
    </div>
  ) : null;
  if (!config?.signInRequired || credential !== '') {
    return (
      <>
        {notice}
        {children}
      </>
    );
  }
  return (
    <>
      <PageHeader title="Sign in" description="This server needs a credential for every request." />
      {notice}
      <div className="card stack">
        {config.oidc ? (
          <p>
            <button
              type="button"
              className="primary"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                setError('');
                try {
                  await startSignIn(config);
                } catch (err) {
                  setError(`Sign-in failed: ${err instanceof Error ? err.message : String(err)}`);
                  setBusy(false);
                }
              }}
            >
              {busy ? 'Redirecting…' : 'Sign in with OpenID Connect'}
            </button>{' '}
            <span className="muted">at {config.issuer}</span>
          </p>
        ) : null}
        <p>
          {config.oidc ? 'Or put' : 'Put'} an API token ({config.apiTokenPrefix}…) or the admin token under <strong>Settings</strong> in the top right corner.
        </p>
      </div>
    </>
  );
}
