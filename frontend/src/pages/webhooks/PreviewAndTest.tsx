import { useCallback, useState } from 'react';
import { useMutation } from 'urql';
import { AttemptSummary, AttemptView, Body, HeaderTable } from '../../components/AttemptView';
import { CheckboxField, SelectField } from '../../components/fields';
import { FormErrorSummary } from '../../components/states';
import { UserPicker } from '../../components/UserPicker';
import {
  PreviewWebhookPayloadDocument,
  TestWebhookDocument,
  type AttemptDetailFragment,
  type ProfileTrigger,
  type PreviewWebhookPayloadMutation,
  type WebhookDetailFragment,
} from '../../gql/graphql';
import { formErrorsOf } from '../../lib/errors';
import { triggerOptions } from '../../lib/triggers';

type Preview = PreviewWebhookPayloadMutation['previewProfileWebhookPayload'];

function allMessages(error: Parameters<typeof formErrorsOf>[0]): string[] {
  const { form, fields } = formErrorsOf(error, 'userId');
  return [...form, ...Object.entries(fields).map(([field, message]) => `${field}: ${message}`)];
}

/** Builds the payload for a chosen user and trigger, or sends it for real. */
export function PreviewAndTest({ webhook, dirty }: { webhook: WebhookDetailFragment; dirty: boolean }) {
  const [userId, setUserId] = useState('');
  const [trigger, setTrigger] = useState<ProfileTrigger>(webhook.triggers[0] ?? 'CREATE_USER');
  const [applyResponse, setApplyResponse] = useState(false);
  const [previewState, preview] = useMutation(PreviewWebhookPayloadDocument);
  const [testState, test] = useMutation(TestWebhookDocument);
  const [result, setResult] = useState<{ kind: 'preview'; preview: Preview } | { kind: 'test'; attempt: AttemptDetailFragment } | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const onUser = useCallback((id: string) => setUserId(id), []);

  async function runPreview() {
    setErrors([]);
    const r = await preview({ id: webhook.id, userId, trigger });
    const p = r.data?.previewProfileWebhookPayload;
    if (r.error || !p) setErrors(allMessages(r.error));
    else setResult({ kind: 'preview', preview: p });
  }

  async function runTest() {
    setErrors([]);
    const r = await test({ id: webhook.id, userId, trigger, applyResponse });
    const attempt = r.data?.testProfileWebhook;
    if (r.error || !attempt) setErrors(allMessages(r.error));
    else setResult({ kind: 'test', attempt });
  }

  const busy = previewState.fetching || testState.fetching;
  return (
    <section className="card" aria-labelledby="preview-title">
      <h2 id="preview-title">Payload preview and test</h2>
      <p className="muted">
        Uses the saved configuration.{dirty ? ' You have unsaved changes: save them first to preview them.' : ''} A test sends a real request and
        records it as a test delivery; it is never retried.
      </p>
      <UserPicker value={userId} onChange={onUser} />
      <div className="row">
        <SelectField label="Trigger" value={trigger} onChange={setTrigger} options={triggerOptions} />
      </div>
      <CheckboxField
        label="Write response parameters back to the profile"
        checked={applyResponse}
        onChange={setApplyResponse}
        hint="Only for Send test. Off: the response is shown but changes nothing."
      />
      <div className="row">
        <button type="button" onClick={runPreview} disabled={busy || userId === ''}>
          {previewState.fetching ? 'Building…' : 'Preview payload'}
        </button>
        <button type="button" className="primary" onClick={runTest} disabled={busy || userId === ''}>
          {testState.fetching ? 'Sending…' : 'Send test'}
        </button>
      </div>
      <div aria-live="polite">
        <FormErrorSummary messages={errors} />
        {result?.kind === 'preview' ? (
          <div>
            <h3>Preview</h3>
            <p className="mono">POST {result.preview.url}</p>
            <HeaderTable headers={result.preview.headers} caption="Headers" />
            <Body text={result.preview.body} label="Body" />
          </div>
        ) : null}
        {result?.kind === 'test' ? (
          <div>
            <h3 className="row">
              Test result: <AttemptSummary attempt={result.attempt} />
            </h3>
            <AttemptView attempt={result.attempt} />
          </div>
        ) : null}
      </div>
    </section>
  );
}
