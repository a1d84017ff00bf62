// The security settings form: lists edited as text (one entry a line) and
// issuer rows; the update sends every list, so what is shown is what is stored.

import type { SecuritySettingsDetailFragment, UpdateSecuritySettingsInput } from '../../gql/graphql';

export interface IssuerRow {
  key: string;
  issuer: string;
  audience: string;
}

export interface SettingsForm {
  accessTokenLifetime: string;
  issuers: IssuerRow[];
  inboundAllowlist: string;
  corsOrigins: string;
}

let nextKey = 0;
export function newIssuerRow(issuer = '', audience = ''): IssuerRow {
  nextKey += 1;
  return { key: `iss-${nextKey}`, issuer, audience };
}

export function settingsFormFrom(s: SecuritySettingsDetailFragment): SettingsForm {
  return {
    accessTokenLifetime: s.accessTokenLifetime,
    issuers: s.trustedIssuers.map((t) => newIssuerRow(t.issuer, t.audience)),
    inboundAllowlist: s.inboundAllowlist.join('\n'),
    corsOrigins: s.corsOrigins.join('\n'),
  };
}

export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export function buildSettingsInput(form: SettingsForm): UpdateSecuritySettingsInput {
  return {
    accessTokenLifetime: form.accessTokenLifetime.trim(),
    trustedIssuers: form.issuers
      .map((r) => ({ issuer: r.issuer.trim(), audience: r.audience.trim() }))
      .filter((r) => r.issuer !== '' || r.audience !== ''),
    inboundAllowlist: lines(form.inboundAllowlist),
    corsOrigins: lines(form.corsOrigins),
  };
}

/**
 * The errors of a list edited as lines: "corsOrigins[1]" becomes
 * "Line 2: …", "corsOrigins" itself stays as it is.
 */
export function listErrorText(fields: Readonly<Record<string, string>>, list: string): string | undefined {
  const out: string[] = [];
  for (const [path, message] of Object.entries(fields)) {
    if (path === list) out.push(message);
    const m = new RegExp(`^${list}\\[(\\d+)\\]$`).exec(path);
    if (m) out.push(`Line ${Number(m[1]) + 1}: ${message}`);
  }
  return out.length > 0 ? out.join(' ') : undefined;
}

/** The keys of the issuer rows in the order they are sent (empty rows left out). */
export function sentIssuerKeys(form: SettingsForm): string[] {
  return form.issuers.filter((r) => r.issuer.trim() !== '' || r.audience.trim() !== '').map((r) => r.key);
}
