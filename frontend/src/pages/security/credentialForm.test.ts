import { describe, expect, test } from 'vitest';
import { buildCreateInput, buildUpdateInput, credentialFormFrom, secretHint } from './credentialForm';
import type { CredentialDetailFragment } from '../../gql/graphql';

const stored: CredentialDetailFragment = {
  __typename: 'WebhookCredential',
  id: 'wcr_1',
  name: 'HR OAuth',
  type: 'OAUTH2_CLIENT_CREDENTIALS',
  tokenUrl: 'https://auth.example.com/token',
  clientId: 'ph',
  clientSecretHint: '…ab12',
  username: null,
  passwordHint: null,
  scopes: ['users:write', 'users:read'],
  audience: '',
  tokenHint: null,
  headerName: null,
  updatedAt: '2026-01-01T00:00:00Z',
  webhooks: { __typename: 'ProfileWebhookConnection', totalCount: 0 },
};

describe('credential form', () => {
  test('create sends only the fields of the type that have values', () => {
    const form = credentialFormFrom(null);
    form.name = ' Key ';
    form.type = 'API_KEY_HEADER';
    form.values.headerName = ' X-Api-Key ';
    form.values.token = 'secret value';
    form.values.tokenUrl = 'https://ignored.example.com';
    expect(buildCreateInput(form)).toEqual({ name: 'Key', type: 'API_KEY_HEADER', headerName: 'X-Api-Key', token: 'secret value' });
  });

  test('create splits scopes', () => {
    const form = credentialFormFrom(null);
    form.values.scopes = 'a  b,c';
    expect(buildCreateInput(form).scopes).toEqual(['a', 'b', 'c']);
  });

  test('update keeps an untyped secret and clears emptied optional fields', () => {
    const form = credentialFormFrom(stored);
    expect(form.values.scopes).toBe('users:write users:read');
    form.values.audience = '';
    expect(buildUpdateInput(form)).toEqual({
      name: 'HR OAuth',
      tokenUrl: 'https://auth.example.com/token',
      clientId: 'ph',
      scopes: ['users:write', 'users:read'],
      audience: '',
    });
    form.values.clientSecret = 'new';
    expect(buildUpdateInput(form).clientSecret).toBe('new');
  });

  test('hints of stored secrets', () => {
    expect(secretHint(stored, 'clientSecret')).toBe('…ab12');
    expect(secretHint(stored, 'password')).toBeNull();
    expect(secretHint(null, 'token')).toBeNull();
  });
});
