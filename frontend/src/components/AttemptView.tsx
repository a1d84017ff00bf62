import type { AttemptDetailFragment } from '../gql/graphql';
import { formatTime } from '../lib/time';
import { HttpStatusBadge } from './badges';

/** A body, pretty-printed when it is JSON. */
export function Body({ text, label }: { text: string | null; label: string }) {
  if (text === null || text === '') return <p className="muted">Empty {label.toLowerCase()}.</p>;
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON: show it as it came.
  }
  return (
    <pre className="code" aria-label={label} tabIndex={0}>
      {shown}
    </pre>
  );
}

export function HeaderTable({ headers, caption }: { headers: ReadonlyArray<{ name: string; value: string }> | null; caption: string }) {
  if (!headers || headers.length === 0) return <p className="muted">No {caption.toLowerCase()}.</p>;
  return (
    <table className="kv">
      <caption className="visually-hidden">{caption}</caption>
      <tbody>
        {headers.map((h, i) => (
          <tr key={`${h.name}-${i}`}>
            <th scope="row">{h.name}</th>
            <td className="mono">{h.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AttemptSummary({ attempt }: { attempt: AttemptDetailFragment }) {
  return (
    <>
      <span>Attempt {attempt.number}</span>
      <HttpStatusBadge status={attempt.responseStatus} />
      {attempt.errorClass ? <span className="badge bad">{attempt.errorClass}</span> : null}
      <span className="muted">
        {attempt.durationMs} ms · {formatTime(attempt.createdAt)}
      </span>
    </>
  );
}

/** The request an attempt sent and the response it got. */
export function AttemptView({ attempt }: { attempt: AttemptDetailFragment }) {
  return (
    <div className="two-col">
      <section aria-label={`Request of attempt ${attempt.number}`}>
        <h3>Request</h3>
        <p className="mono">POST {attempt.requestUrl}</p>
        <HeaderTable headers={attempt.requestHeaders} caption="Request headers" />
        <Body text={attempt.requestBody} label="Request body" />
      </section>
      <section aria-label={`Response of attempt ${attempt.number}`}>
        <h3>Response</h3>
        {attempt.error ? (
          <p className="field-error">
            {attempt.errorClass ? `${attempt.errorClass}: ` : ''}
            {attempt.error}
          </p>
        ) : null}
        <HeaderTable headers={attempt.responseHeaders} caption="Response headers" />
        <Body text={attempt.responseBody} label="Response body" />
        {attempt.responseBodyTruncated ? <p className="muted">The body was cut at 64 KiB.</p> : null}
      </section>
    </div>
  );
}
