import type { CreateProfileWebhookInput, ProfileTrigger, WebhookDetailFragment } from '../../gql/graphql';
import { sortTriggers } from '../../lib/triggers';
import {
  mappingRowsFrom,
  rowsInit,
  rowsReducer,
  toHeaderInputs,
  toParameterInputs,
  type HeaderRow,
  type MappingRow,
  type RowsAction,
  type RowsState,
} from '../../lib/rows';

export interface WebhookForm {
  name: string;
  url: string;
  enabled: boolean;
  triggers: ProfileTrigger[];
  maxAttempts: string;
  timeoutSeconds: string;
  /** The webhook credential's ID; empty for none. */
  credentialId: string;
  request: RowsState<MappingRow>;
  response: RowsState<MappingRow>;
  headers: RowsState<HeaderRow>;
}

export type WebhookFormAction =
  | { type: 'set'; patch: Partial<Pick<WebhookForm, 'name' | 'url' | 'enabled' | 'maxAttempts' | 'timeoutSeconds' | 'credentialId'>> }
  | { type: 'trigger'; trigger: ProfileTrigger; on: boolean }
  | { type: 'request'; action: RowsAction<MappingRow> }
  | { type: 'response'; action: RowsAction<MappingRow> }
  | { type: 'headers'; action: RowsAction<HeaderRow> }
  | { type: 'load'; webhook: WebhookDetailFragment | null };

export function formFrom(webhook: WebhookDetailFragment | null): WebhookForm {
  return {
    name: webhook?.name ?? '',
    url: webhook?.url ?? '',
    enabled: webhook?.enabled ?? true,
    triggers: webhook ? sortTriggers(webhook.triggers) : [],
    maxAttempts: webhook?.maxAttempts == null ? '' : String(webhook.maxAttempts),
    timeoutSeconds: webhook ? String(webhook.timeoutSeconds) : '',
    credentialId: webhook?.credential?.id ?? '',
    request: rowsInit(mappingRowsFrom(webhook?.requestParameters ?? [])),
    response: rowsInit(mappingRowsFrom(webhook?.responseParameters ?? [])),
    headers: rowsInit((webhook?.headers ?? []).map((h) => ({ name: h.name, value: h.value }))),
  };
}

export function webhookFormReducer(state: WebhookForm, action: WebhookFormAction): WebhookForm {
  switch (action.type) {
    case 'set':
      return { ...state, ...action.patch };
    case 'trigger': {
      const others = state.triggers.filter((t) => t !== action.trigger);
      return { ...state, triggers: sortTriggers(action.on ? [...others, action.trigger] : others) };
    }
    case 'request':
      return { ...state, request: rowsReducer(state.request, action.action) };
    case 'response':
      return { ...state, response: rowsReducer(state.response, action.action) };
    case 'headers':
      return { ...state, headers: rowsReducer(state.headers, action.action) };
    case 'load':
      return formFrom(action.webhook);
  }
}

function optionalInt(text: string): number | null | 'invalid' {
  const t = text.trim();
  if (t === '') return null;
  return /^\d+$/.test(t) ? Number(t) : 'invalid';
}

export interface BuiltWebhookInput {
  input: CreateProfileWebhookInput;
  /** Row keys of the sent list items, for mapping server errors to rows. */
  keys: { requestParameters: string[]; responseParameters: string[]; headers: string[] };
  /** Problems found before sending, by field path. */
  clientErrors: Record<string, string>;
}

/**
 * The input that saves the form. It serves create and update alike: the
 * update sends every list, which replaces the stored one. An empty
 * maxAttempts is left out (null): the API keeps a stored value then.
 */
export function buildWebhookInput(form: WebhookForm): BuiltWebhookInput {
  const request = toParameterInputs(form.request.rows);
  const response = toParameterInputs(form.response.rows);
  const headers = toHeaderInputs(form.headers.rows);
  const clientErrors: Record<string, string> = {};
  const maxAttempts = optionalInt(form.maxAttempts);
  const timeoutSeconds = optionalInt(form.timeoutSeconds);
  if (maxAttempts === 'invalid') clientErrors['maxAttempts'] = 'Enter a whole number, or leave it empty for the whole retry schedule.';
  if (timeoutSeconds === 'invalid') clientErrors['timeoutSeconds'] = 'Enter a whole number of seconds from 1 to 60.';
  return {
    input: {
      name: form.name.trim(),
      url: form.url.trim(),
      enabled: form.enabled,
      triggers: form.triggers,
      requestParameters: request.values,
      responseParameters: response.values,
      headers: headers.values,
      maxAttempts: maxAttempts === 'invalid' ? null : maxAttempts,
      timeoutSeconds: timeoutSeconds === 'invalid' ? null : timeoutSeconds,
      // Left out when empty; an update that removes a credential sends "" (see withCredentialRemoval).
      ...(form.credentialId !== '' ? { credentialId: form.credentialId } : {}),
    },
    keys: { requestParameters: request.keys, responseParameters: response.keys, headers: headers.keys },
    clientErrors,
  };
}

/** Whether the form differs from what it was loaded from. */
export function isDirty(form: WebhookForm, initial: WebhookForm): boolean {
  return JSON.stringify(buildWebhookInput(form).input) !== JSON.stringify(buildWebhookInput(initial).input);
}

/** An update input that also removes a stored credential the form no longer names ("" removes it). */
export function withCredentialRemoval<I extends { credentialId?: string | null }>(input: I, stored: { id: string } | null | undefined): I {
  return stored && !input.credentialId ? { ...input, credentialId: '' } : input;
}
