import { describe, expect, it } from 'vitest';
import type { UserProfileFragment } from '../../gql/graphql';
import { createUserInput, draftFromUser, isUserDirty, updateUserInput, userTitle } from './userForm';

const user: UserProfileFragment = {
  __typename: 'User',
  id: 'usr_1',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  active: true,
  email: 'ada@example.com',
  userName: null,
  employeeId: 'E1',
  externalId: null,
  firstName: 'Ada',
  lastName: 'Lovelace',
  displayName: null,
  jobTitle: null,
  department: 'R&D',
  division: null,
  costCenter: null,
  managerEmail: null,
  workPhone: null,
  mobilePhone: null,
  officeLocation: null,
  city: null,
  country: null,
  timeZone: null,
  locale: null,
  hireDate: '2024-03-01',
  customFields: [{ __typename: 'CustomFieldValue', key: 'badge', value: 'B-7' }],
};

describe('user profile form', () => {
  it('creates with the filled fields only', () => {
    const draft = draftFromUser(null);
    draft.builtin.email = ' grace@example.com ';
    draft.custom['badge'] = 'B-9';
    draft.custom['shoe'] = '';
    expect(createUserInput(draft)).toEqual({
      input: { active: true, email: 'grace@example.com', customFields: [{ key: 'badge', value: 'B-9' }] },
      customKeys: ['badge'],
    });
  });

  it('updates only what changed, clearing emptied fields with null', () => {
    const initial = draftFromUser(user);
    const draft = draftFromUser(user);
    draft.builtin.department = '';
    draft.builtin.city = 'London';
    draft.custom['badge'] = '';
    draft.custom['floor'] = '3';
    expect(updateUserInput(initial, draft)).toEqual({
      input: { department: null, city: 'London', customFields: [{ key: 'badge', value: null }, { key: 'floor', value: '3' }] },
      customKeys: ['badge', 'floor'],
      changes: 4,
    });
    expect(isUserDirty(initial, draft)).toBe(true);
    expect(isUserDirty(initial, draftFromUser(user))).toBe(false);
  });

  it('names the user', () => {
    expect(userTitle(user)).toBe('Ada Lovelace');
    expect(userTitle({ ...user, firstName: null, lastName: null })).toBe('ada@example.com');
  });
});
