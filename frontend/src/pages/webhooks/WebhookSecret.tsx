import { useState } from 'react';
import { useMutation } from 'urql';
import { SecretNotice } from '../../components/CopyField';
import { FormErrorSummary } from '../../components/states';
import { RotateWebhookSecretDocument, type WebhookDetailFragment } from '../../gql/graphql';
import { formErrorsOf } from '../../lib/errors';
import { formatTime } from '../../lib/time';

/** The signing secret: never shown again, but it can be replaced. */
export function WebhookSecret({ webhook }: { webhook: WebhookDetailFragment }) {
  const [{ fetching, error }, rotate] = useMutation(RotateWebhookSecretDocument);
  const [issued, setIssued] = useState<{ secret: string; previousExpiresAt: string | null } | null>(null);
  const previousExpiresAt = issued ? issued.previousExpiresAt : webhook.previousSecretExpiresAt;
  const graceActive = previousExpiresAt !== null && new Date(previousExpiresAt).getTime() > Date.now();

  async function onRotate() {
    if (!window.confirm('Issue a new signing secret? For 24 hours deliveries carry signatures with both the old and the new secret.')) return;
    const result = await rotate({ id: webhook.id });
    const payload = result.data?.rotateProfileWebhookSecret;
    if (payload) setIssued({ secret: payload.signingSecret, previousExpiresAt: payload.previousSecretExpiresAt });
  }

  return (
    <section className="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p className="muted">
        Deliveries are signed (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature). The secret was shown once when the webhook was
        created.
      </p>
      {graceActive ? <p>Deliveries are also signed with the previous secret until {formatTime(previousExpiresAt)}.</p> : null}
      {issued && issued.secret !== '' ? (
        <SecretNotice title="New signing secret" secret={issued.secret} onDismiss={() => setIssued({ ...issued, secret: '' })} />
      ) : null}
      {error ? <FormErrorSummary messages={formErrorsOf(error).form} /> : null}
      <button type="button" onClick={onRotate} disabled={fetching}>
        {fetching ? 'Rotating…' : 'Rotate secret'}
      </button>
    </section>
  );
}
