import { useQuery } from 'urql';
import { ProfileFieldsDocument, type ProfileFieldInfoFragment } from '../gql/graphql';

const context = { additionalTypenames: ['CustomProfileField'] };

/** Query.profileFields: every key a mapping may name. */
export function useProfileFields() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ProfileFieldsDocument, context });
  const fields: readonly ProfileFieldInfoFragment[] = data?.profileFields ?? [];
  return { fields, fetching: fetching && !data, error, refetch };
}
