import { describe, expect, it } from 'vitest';
import type { WebhookDetailFragment } from '../../gql/graphql';
import { buildWebhookInput, formFrom, isDirty, webhookFormReducer } from './webhookForm';

const stored: WebhookDetailFragment = {
  __typename: 'ProfileWebhook',
  id: 'whk_1',
  name: 'HR',
  url: 'https://hr.example.com/hook',
  enabled: true,
  disabledReason: null,
  failingSince: null,
  triggers: ['UPDATE_USER_PROFILE', 'CREATE_USER'],
  requestParameters: [{ __typename: 'ParameterMapping', apiField: 'contact.email', profileField: 'email' }],
  responseParameters: [],
  headers: [{ __typename: 'HttpHeader', name: 'X-Tenant', value: 'acme' }],
  maxAttempts: null,
  timeoutSeconds: 10,
  previousSecretExpiresAt: null,
  credential: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

describe('webhook form', () => {
  it('round-trips a stored webhook without becoming dirty', () => {
    const form = formFrom(stored);
    expect(form.triggers).toEqual(['CREATE_USER', 'UPDATE_USER_PROFILE']);
    expect(isDirty(form, formFrom(stored))).toBe(false);
    expect(buildWebhookInput(form).input).toEqual({
      name: 'HR',
      url: 'https://hr.example.com/hook',
      enabled: true,
      triggers: ['CREATE_USER', 'UPDATE_USER_PROFILE'],
      requestParameters: [{ apiField: 'contact.email', profileField: 'email' }],
      responseParameters: [],
      headers: [{ name: 'X-Tenant', value: 'acme' }],
      maxAttempts: null,
      timeoutSeconds: 10,
    });
  });

  it('becomes dirty on an edit and clean again when undone', () => {
    const initial = formFrom(stored);
    const on = webhookFormReducer(initial, { type: 'trigger', trigger: 'ACTIVATE_DEACTIVATE_USER', on: true });
    expect(isDirty(on, initial)).toBe(true);
    const off = webhookFormReducer(on, { type: 'trigger', trigger: 'ACTIVATE_DEACTIVATE_USER', on: false });
    expect(isDirty(off, initial)).toBe(false);
  });

  it('an added blank row is not a change', () => {
    const initial = formFrom(stored);
    const added = webhookFormReducer(initial, { type: 'request', action: { type: 'add', row: { apiField: '', profileField: '', userIdentifier: false } } });
    expect(isDirty(added, initial)).toBe(false);
  });

  it('keeps the keys of sent rows for error mapping', () => {
    let form = formFrom(null);
    form = webhookFormReducer(form, { type: 'request', action: { type: 'add', row: { apiField: '', profileField: '', userIdentifier: false } } });
    form = webhookFormReducer(form, { type: 'request', action: { type: 'add', row: { apiField: 'name.first', profileField: 'firstName', userIdentifier: false } } });
    const built = buildWebhookInput(form);
    expect(built.input.requestParameters).toEqual([{ apiField: 'name.first', profileField: 'firstName' }]);
    expect(built.keys.requestParameters).toEqual([form.request.rows[1]!.key]);
  });

  it('reports numbers that are not whole', () => {
    const form = webhookFormReducer(formFrom(null), { type: 'set', patch: { maxAttempts: '2.5', timeoutSeconds: 'ten' } });
    expect(Object.keys(buildWebhookInput(form).clientErrors).sort()).toEqual(['maxAttempts', 'timeoutSeconds']);
  });
});
