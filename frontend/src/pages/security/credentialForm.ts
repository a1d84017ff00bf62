// The webhook credential form: which fields each type takes, and the
// create/update inputs built from the form. Secrets are write-only: an empty
// secret box on an existing credential keeps the stored secret.

import type { CreateWebhookCredentialInput, CredentialDetailFragment, UpdateWebhookCredentialInput, WebhookCredentialType } from '../../gql/graphql';

export type CredentialField = 'tokenUrl' | 'clientId' | 'clientSecret' | 'username' | 'password' | 'scopes' | 'audience' | 'token' | 'headerName';

export const secretFields: ReadonlySet<CredentialField> = new Set(['clientSecret', 'password', 'token']);

export const credentialTypeOptions: ReadonlyArray<{ value: WebhookCredentialType; label: string }> = [
  { value: 'OAUTH2_CLIENT_CREDENTIALS', label: 'OAuth 2.0 client credentials' },
  { value: 'OAUTH2_PASSWORD', label: 'OAuth 2.0 password grant' },
  { value: 'BEARER', label: 'Static bearer token' },
  { value: 'BASIC', label: 'Basic auth' },
  { value: 'API_KEY_HEADER', label: 'API key header' },
];

export function credentialTypeLabel(type: WebhookCredentialType): string {
  return credentialTypeOptions.find((o) => o.value === type)?.label ?? type;
}

/** The fields a type takes, in form order, and whether each is required. */
export const fieldsByType: Readonly<Record<WebhookCredentialType, ReadonlyArray<{ field: CredentialField; required: boolean }>>> = {
  OAUTH2_CLIENT_CREDENTIALS: [
    { field: 'tokenUrl', required: true },
    { field: 'clientId', required: true },
    { field: 'clientSecret', required: true },
    { field: 'scopes', required: false },
    { field: 'audience', required: false },
  ],
  OAUTH2_PASSWORD: [
    { field: 'tokenUrl', required: true },
    { field: 'clientId', required: true },
    { field: 'clientSecret', required: false },
    { field: 'username', required: true },
    { field: 'password', required: true },
    { field: 'scopes', required: false },
  ],
  BEARER: [{ field: 'token', required: true }],
  BASIC: [
    { field: 'username', required: true },
    { field: 'password', required: true },
  ],
  API_KEY_HEADER: [
    { field: 'headerName', required: true },
    { field: 'token', required: true },
  ],
};

export const fieldLabels: Readonly<Record<CredentialField, string>> = {
  tokenUrl: 'Token URL',
  clientId: 'Client ID',
  clientSecret: 'Client secret',
  username: 'Username',
  password: 'Password',
  scopes: 'Scopes',
  audience: 'Audience',
  token: 'Token',
  headerName: 'Header name',
};

export interface CredentialForm {
  name: string;
  type: WebhookCredentialType;
  values: Record<CredentialField, string>;
}

const emptyValues: Record<CredentialField, string> = {
  tokenUrl: '',
  clientId: '',
  clientSecret: '',
  username: '',
  password: '',
  scopes: '',
  audience: '',
  token: '',
  headerName: '',
};

export function credentialFormFrom(c: CredentialDetailFragment | null): CredentialForm {
  if (!c) return { name: '', type: 'OAUTH2_CLIENT_CREDENTIALS', values: { ...emptyValues } };
  return {
    name: c.name,
    type: c.type,
    values: {
      ...emptyValues,
      tokenUrl: c.tokenUrl ?? '',
      clientId: c.clientId ?? '',
      username: c.username ?? '',
      scopes: (c.scopes ?? []).join(' '),
      audience: c.audience ?? '',
      headerName: c.headerName ?? '',
    },
  };
}

/** The hint of a stored secret, as the API shows it; null when none is stored. */
export function secretHint(c: CredentialDetailFragment | null, field: CredentialField): string | null {
  if (!c) return null;
  const hint = field === 'clientSecret' ? c.clientSecretHint : field === 'password' ? c.passwordHint : field === 'token' ? c.tokenHint : null;
  return hint ? hint : null;
}

function splitScopes(text: string): string[] {
  return text.split(/[\s,]+/).filter((s) => s !== '');
}

export function buildCreateInput(form: CredentialForm): CreateWebhookCredentialInput {
  const input: CreateWebhookCredentialInput = { name: form.name.trim(), type: form.type };
  for (const { field } of fieldsByType[form.type]) {
    const raw = form.values[field];
    if (field === 'scopes') {
      const scopes = splitScopes(raw);
      if (scopes.length > 0) input.scopes = scopes;
      continue;
    }
    const value = secretFields.has(field) ? raw : raw.trim();
    if (value !== '') input[field] = value;
  }
  return input;
}

/**
 * An update: every non-secret field of the type is sent (an empty string
 * clears an optional one), a secret only when one was typed.
 */
export function buildUpdateInput(form: CredentialForm): UpdateWebhookCredentialInput {
  const input: UpdateWebhookCredentialInput = { name: form.name.trim() };
  for (const { field } of fieldsByType[form.type]) {
    const raw = form.values[field];
    if (field === 'scopes') {
      input.scopes = splitScopes(raw);
    } else if (secretFields.has(field)) {
      if (raw !== '') input[field] = raw;
    } else {
      input[field] = raw.trim();
    }
  }
  return input;
}
