import type { ProfileTrigger } from '../gql/graphql';

export const triggerOptions: ReadonlyArray<{ value: ProfileTrigger; label: string }> = [
  { value: 'CREATE_USER', label: 'Create User' },
  { value: 'UPDATE_USER_PROFILE', label: 'Update User Profile' },
  { value: 'ACTIVATE_DEACTIVATE_USER', label: 'Activate/Deactivate User' },
];

export function triggerLabel(trigger: ProfileTrigger): string {
  return triggerOptions.find((t) => t.value === trigger)?.label ?? trigger;
}

/** The triggers in the order the form lists them. */
export function sortTriggers(triggers: readonly ProfileTrigger[]): ProfileTrigger[] {
  return triggerOptions.map((t) => t.value).filter((t) => triggers.includes(t));
}
