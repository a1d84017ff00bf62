import type { CreateInboundEndpointInput, EndpointDetailFragment, InboundAuthMode, UnknownUserPolicy } from '../../gql/graphql';
import { mappingRowsFrom, rowsInit, rowsReducer, toInputMappingInputs, type MappingRow, type RowsAction, type RowsState } from '../../lib/rows';

export interface EndpointForm {
  name: string;
  enabled: boolean;
  authMode: InboundAuthMode;
  onUnknownUser: UnknownUserPolicy;
  /** Webhooks that talk to the same third party: changes through this endpoint are not sent to them. */
  linkedWebhookIds: string[];
  inputs: RowsState<MappingRow>;
}

export type EndpointFormAction =
  | { type: 'set'; patch: Partial<Omit<EndpointForm, 'inputs'>> }
  | { type: 'inputs'; action: RowsAction<MappingRow> }
  | { type: 'load'; endpoint: EndpointDetailFragment | null };

export const authModeOptions: ReadonlyArray<{ value: InboundAuthMode; label: string }> = [
  { value: 'OAUTH2', label: 'OAuth 2.0 client credentials' },
  { value: 'JWT', label: 'Signed JWT' },
  { value: 'HMAC', label: 'HMAC signature (signing secret)' },
];

export const unknownUserOptions: ReadonlyArray<{ value: UnknownUserPolicy; label: string }> = [
  { value: 'REJECT', label: 'Reject the request' },
  { value: 'CREATE', label: 'Create the user' },
];

export function endpointFormFrom(endpoint: EndpointDetailFragment | null): EndpointForm {
  return {
    name: endpoint?.name ?? '',
    enabled: endpoint?.enabled ?? true,
    authMode: endpoint?.authMode ?? 'OAUTH2',
    onUnknownUser: endpoint?.onUnknownUser ?? 'REJECT',
    linkedWebhookIds: [...(endpoint?.linkedWebhookIds ?? [])].sort(),
    inputs: rowsInit(
      endpoint
        ? mappingRowsFrom(endpoint.inputParameters)
        : [{ apiField: '', profileField: 'email', userIdentifier: true }],
    ),
  };
}

export function endpointFormReducer(state: EndpointForm, action: EndpointFormAction): EndpointForm {
  switch (action.type) {
    case 'set':
      return { ...state, ...action.patch };
    case 'inputs':
      return { ...state, inputs: rowsReducer(state.inputs, action.action) };
    case 'load':
      return endpointFormFrom(action.endpoint);
  }
}

export function buildEndpointInput(form: EndpointForm): { input: CreateInboundEndpointInput; keys: string[] } {
  const { values, keys } = toInputMappingInputs(form.inputs.rows);
  return {
    input: {
      name: form.name.trim(),
      enabled: form.enabled,
      authMode: form.authMode,
      onUnknownUser: form.onUnknownUser,
      inputParameters: values,
      linkedWebhookIds: [...form.linkedWebhookIds].sort(),
    },
    keys,
  };
}

export function isEndpointDirty(form: EndpointForm, initial: EndpointForm): boolean {
  return JSON.stringify(buildEndpointInput(form).input) !== JSON.stringify(buildEndpointInput(initial).input);
}
