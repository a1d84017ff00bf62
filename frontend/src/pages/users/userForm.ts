import type { CreateUserInput, UpdateUserProfileInput, UserProfileFragment } from '../../gql/graphql';

export const builtinKeys = [
  'email',
  'userName',
  'employeeId',
  'externalId',
  'firstName',
  'lastName',
  'displayName',
  'jobTitle',
  'department',
  'division',
  'costCenter',
  'managerEmail',
  'hireDate',
  'workPhone',
  'mobilePhone',
  'officeLocation',
  'city',
  'country',
  'timeZone',
  'locale',
] as const satisfies ReadonlyArray<keyof UpdateUserProfileInput & keyof UserProfileFragment>;

export type BuiltinKey = (typeof builtinKeys)[number];

export const fieldGroups: ReadonlyArray<{ title: string; description: string; keys: readonly BuiltinKey[] }> = [
  { title: 'Identifiers', description: 'Unique among users when set. A user needs at least one.', keys: ['email', 'userName', 'employeeId', 'externalId'] },
  { title: 'Name', description: 'How the user is addressed.', keys: ['firstName', 'lastName', 'displayName'] },
  { title: 'Job', description: 'Position in the organisation.', keys: ['jobTitle', 'department', 'division', 'costCenter', 'managerEmail', 'hireDate'] },
  {
    title: 'Contact and location',
    description: 'Phones, office and regional settings.',
    keys: ['workPhone', 'mobilePhone', 'officeLocation', 'city', 'country', 'timeZone', 'locale'],
  },
];

export interface UserDraft {
  builtin: Record<BuiltinKey, string>;
  /** By custom field key (without the custom. prefix). */
  custom: Record<string, string>;
  /** Only for new users; existing ones use activate/deactivate. */
  active: boolean;
}

export function draftFromUser(user: UserProfileFragment | null): UserDraft {
  const builtin = {} as Record<BuiltinKey, string>;
  for (const key of builtinKeys) builtin[key] = user?.[key] ?? '';
  const custom: Record<string, string> = {};
  for (const { key, value } of user?.customFields ?? []) custom[key] = value;
  return { builtin, custom, active: user?.active ?? true };
}

/** Values for a new user: empty fields are left out. */
export function createUserInput(draft: UserDraft): { input: CreateUserInput; customKeys: string[] } {
  const input: CreateUserInput = { active: draft.active };
  for (const key of builtinKeys) {
    const value = draft.builtin[key].trim();
    if (value !== '') input[key] = value;
  }
  const custom = Object.entries(draft.custom)
    .map(([key, value]) => ({ key, value: value.trim() }))
    .filter((c) => c.value !== '');
  if (custom.length > 0) input.customFields = custom;
  return { input, customKeys: custom.map((c) => c.key) };
}

/** Only the changed fields; a field emptied is sent as null, which clears it. */
export function updateUserInput(initial: UserDraft, draft: UserDraft): { input: UpdateUserProfileInput; customKeys: string[]; changes: number } {
  const input: UpdateUserProfileInput = {};
  let changes = 0;
  for (const key of builtinKeys) {
    const before = initial.builtin[key].trim();
    const after = draft.builtin[key].trim();
    if (before === after) continue;
    input[key] = after === '' ? null : after;
    changes++;
  }
  const keys = new Set([...Object.keys(initial.custom), ...Object.keys(draft.custom)]);
  const custom: Array<{ key: string; value: string | null }> = [];
  for (const key of [...keys].sort()) {
    const before = (initial.custom[key] ?? '').trim();
    const after = (draft.custom[key] ?? '').trim();
    if (before !== after) custom.push({ key, value: after === '' ? null : after });
  }
  if (custom.length > 0) {
    input.customFields = custom;
    changes += custom.length;
  }
  return { input, customKeys: custom.map((c) => c.key), changes };
}

export function isUserDirty(initial: UserDraft, draft: UserDraft): boolean {
  return updateUserInput(initial, draft).changes > 0 || initial.active !== draft.active;
}

/** The user's name for headings: display name, else first and last, else an identifier. */
export function userTitle(user: Pick<UserProfileFragment, 'displayName' | 'firstName' | 'lastName' | 'email' | 'userName' | 'employeeId' | 'id'>): string {
  const name = user.displayName ?? [user.firstName, user.lastName].filter(Boolean).join(' ');
  return name || user.email || user.userName || user.employeeId || user.id;
}
