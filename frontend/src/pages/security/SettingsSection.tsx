import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { useCanEdit } from '../../api/viewer';
import { FormSection, TextAreaField, TextField } from '../../components/fields';
import { ErrorState, FormErrorSummary, Loading } from '../../components/states';
import { SecuritySettingsDocument, UpdateSecuritySettingsDocument, type SecuritySettingsDetailFragment } from '../../gql/graphql';
import { formErrorsOf, noErrors, rowErrors, unclaimedFieldErrors, type FormErrors } from '../../lib/errors';
import { formatTime } from '../../lib/time';
import { buildSettingsInput, listErrorText, newIssuerRow, sentIssuerKeys, settingsFormFrom, type SettingsForm } from './settingsForm';

export function SettingsSection() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: SecuritySettingsDocument });
  return (
    <FormSection title="Security settings" description="Service-wide settings; a change applies at once.">
      {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      {fetching && !data ? <Loading what="Loading settings" /> : null}
      {data ? <SettingsEditor settings={data.securitySettings} /> : null}
    </FormSection>
  );
}

function SettingsEditor({ settings }: { settings: SecuritySettingsDetailFragment }) {
  const canEdit = useCanEdit();
  const [form, setForm] = useState<SettingsForm>(() => settingsFormFrom(settings));
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [sentKeys, setSentKeys] = useState<string[]>([]);
  const [saved, setSaved] = useState('');
  const [state, update] = useMutation(UpdateSecuritySettingsDocument);

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaved('');
    setSentKeys(sentIssuerKeys(form));
    const result = await update({ input: buildSettingsInput(form) });
    const next = result.data?.updateSecuritySettings;
    if (result.error || !next) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    setErrors(noErrors);
    setForm(settingsFormFrom(next));
    setSaved(`Saved at ${formatTime(next.updatedAt)}.`);
  }

  const f = errors.fields;
  const issuers = rowErrors(f, 'trustedIssuers', sentKeys);
  const unclaimed = unclaimedFieldErrors(
    f,
    (p) => p === 'accessTokenLifetime' || p.startsWith('trustedIssuers') || p.startsWith('inboundAllowlist') || p.startsWith('corsOrigins'),
  );
  const setIssuer = (key: string, patch: Partial<{ issuer: string; audience: string }>) =>
    setForm((s) => ({ ...s, issuers: s.issuers.map((r) => (r.key === key ? { ...r, ...patch } : r)) }));

  return (
    <form onSubmit={save} noValidate aria-label="Security settings">
      <FormErrorSummary messages={[...errors.form, ...unclaimed]} />
      <fieldset disabled={!canEdit}>
        <TextField
          label="Access token lifetime"
          value={form.accessTokenLifetime}
          onChange={(accessTokenLifetime) => setForm((s) => ({ ...s, accessTokenLifetime }))}
          error={f['accessTokenLifetime']}
          hint="ISO 8601 duration between PT1M and PT24H, such as PT1H."
        />
        <fieldset>
          <legend>Trusted issuers</legend>
          {form.issuers.length === 0 ? <p className="muted">None: incoming endpoints accept no JWTs.</p> : null}
          {form.issuers.map((r, i) => {
            const re = issuers.byRow[r.key] ?? {};
            return (
              <div className="row" key={r.key}>
                <TextField label={`Issuer, row ${i + 1}`} value={r.issuer} type="url" onChange={(issuer) => setIssuer(r.key, { issuer })} error={re['issuer'] ?? re['row']} />
                <TextField label={`Audience, row ${i + 1}`} value={r.audience} onChange={(audience) => setIssuer(r.key, { audience })} error={re['audience']} />
                {canEdit ? (
                  <button type="button" onClick={() => setForm((s) => ({ ...s, issuers: s.issuers.filter((x) => x.key !== r.key) }))} aria-label={`Remove issuer row ${i + 1}`}>
                    Remove
                  </button>
                ) : null}
              </div>
            );
          })}
          {issuers.listError ? <p className="field-error">{issuers.listError}</p> : null}
          {canEdit ? (
            <button type="button" onClick={() => setForm((s) => ({ ...s, issuers: [...s.issuers, newIssuerRow()] }))}>
              + Add issuer
            </button>
          ) : null}
        </fieldset>
        <TextAreaField
          label="Inbound allowlist"
          value={form.inboundAllowlist}
          onChange={(inboundAllowlist) => setForm((s) => ({ ...s, inboundAllowlist }))}
          error={listErrorText(f, 'inboundAllowlist')}
          hint="CIDR prefixes or addresses, one a line. Empty: any address."
        />
        <TextAreaField
          label="CORS origins"
          value={form.corsOrigins}
          onChange={(corsOrigins) => setForm((s) => ({ ...s, corsOrigins }))}
          error={listErrorText(f, 'corsOrigins')}
          hint="Origins (https://console.example.com), one a line."
        />
      </fieldset>
      <div className="form-actions">
        <span role="status" className="muted" style={{ marginRight: 'auto', alignSelf: 'center' }}>
          {state.fetching ? 'Saving…' : saved || (settings.updatedAt ? `Last changed ${formatTime(settings.updatedAt)} by ${settings.updatedBy}.` : 'Defaults.')}
        </span>
        {canEdit ? (
          <button type="submit" className="primary" disabled={state.fetching}>
            Save settings
          </button>
        ) : null}
      </div>
    </form>
  );
}
