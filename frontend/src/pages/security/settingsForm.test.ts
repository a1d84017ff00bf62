import { describe, expect, test } from 'vitest';
import { buildSettingsInput, listErrorText, newIssuerRow, sentIssuerKeys, settingsFormFrom } from './settingsForm';

describe('security settings form', () => {
  const form = settingsFormFrom({
    __typename: 'SecuritySettings',
    accessTokenLifetime: 'PT1H',
    trustedIssuers: [{ __typename: 'TrustedIssuer', issuer: 'https://a.example.com', audience: 'ph' }],
    inboundAllowlist: ['10.0.0.0/8'],
    corsOrigins: [],
    updatedAt: null,
    updatedBy: '',
  });

  test('round-trips and drops empty lines and rows', () => {
    form.issuers.push(newIssuerRow());
    form.corsOrigins = ' https://c.example.com \n\n';
    expect(buildSettingsInput(form)).toEqual({
      accessTokenLifetime: 'PT1H',
      trustedIssuers: [{ issuer: 'https://a.example.com', audience: 'ph' }],
      inboundAllowlist: ['10.0.0.0/8'],
      corsOrigins: ['https://c.example.com'],
    });
    expect(sentIssuerKeys(form)).toEqual([form.issuers[0]?.key]);
  });

  test('list errors name the line', () => {
    expect(listErrorText({ 'corsOrigins[1]': 'not an origin', name: 'x' }, 'corsOrigins')).toBe('Line 2: not an origin');
    expect(listErrorText({}, 'corsOrigins')).toBeUndefined();
  });
});
