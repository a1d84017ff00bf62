import { useEffect, type ReactNode } from 'react';
import { errorMessage, type GraphQLErrorLike } from '../lib/errors';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="loading" role="status">
      {what}…
    </p>
  );
}

type ErrorLike = { graphQLErrors: readonly GraphQLErrorLike[]; networkError?: Error | undefined; message: string };

export function ErrorState({ error, retry }: { error: ErrorLike; retry?: () => void }) {
  return (
    <div className="notice error" role="alert">
      <strong>Could not load this.</strong> {errorMessage(error)}
      {retry ? (
        <>
          {' '}
          <button type="button" className="link" onClick={retry}>
            Try again
          </button>
        </>
      ) : null}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty card">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** Errors for the whole form (those that name no field), announced when they appear. */
export function FormErrorSummary({ messages }: { messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <div className="notice error" role="alert">
      <strong>{messages.length === 1 ? 'The server refused this:' : 'The server refused this for these reasons:'}</strong>
      <ul>
        {messages.map((m) => (
          <li key={m}>{m}</li>
        ))}
      </ul>
    </div>
  );
}

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · profilehooks`;
  }, [title]);
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {description ? <p>{description}</p> : null}
      </div>
      {actions ? <div className="row">{actions}</div> : null}
    </div>
  );
}
