import { describe, expect, it } from 'vitest';
import { errorMessage, formErrorsOf, relativeFieldPath, rowErrors, toFormErrors, unclaimedFieldErrors } from './errors';

const bad = (field: string, message = 'is invalid') => ({ message, extensions: { code: 'BAD_USER_INPUT', field } });

describe('error-to-field mapping', () => {
  it('strips the argument name from the path', () => {
    expect(relativeFieldPath('input.requestParameters[1].apiField')).toBe('requestParameters[1].apiField');
    expect(relativeFieldPath('input')).toBe('');
    expect(relativeFieldPath('id')).toBe('id');
    expect(relativeFieldPath('inputs.x')).toBe('inputs.x');
  });

  it('puts BAD_USER_INPUT and CONFLICT errors at their field, others on the form', () => {
    const errors = toFormErrors([
      bad('input.url', 'must be an absolute URL'),
      { message: 'email taken', extensions: { code: 'CONFLICT', field: 'input.email' } },
      bad('input', 'a user needs an identifier'),
      { message: 'no such webhook', extensions: { code: 'NOT_FOUND' } },
      { message: 'weird' },
    ]);
    expect(errors.fields).toEqual({ url: 'must be an absolute URL', email: 'email taken' });
    expect(errors.form).toEqual(['a user needs an identifier', 'no such webhook', 'weird']);
  });

  it('drops the path the message repeats', () => {
    expect(toFormErrors([bad('input.requestParameters[0].apiField', 'input.requestParameters[0].apiField: "a..b" has an empty segment')]).fields).toEqual({
      'requestParameters[0].apiField': '"a..b" has an empty segment',
    });
  });

  it('keeps the first message of a field', () => {
    expect(toFormErrors([bad('input.url', 'first'), bad('input.url', 'second')]).fields).toEqual({ url: 'first' });
  });

  it('explains authentication errors', () => {
    expect(toFormErrors([{ message: 'x', extensions: { code: 'UNAUTHENTICATED' } }]).form[0]).toMatch(/API token/);
  });

  it('adds network failures to the form errors', () => {
    const e = formErrorsOf({ graphQLErrors: [], networkError: new Error('Failed to fetch') });
    expect(e.form).toEqual(['Could not reach the server: Failed to fetch']);
    expect(formErrorsOf(undefined)).toEqual({ fields: {}, form: [] });
    expect(errorMessage({ graphQLErrors: [bad('input.url', 'bad url')], message: 'fallback' })).toBe('url: bad url');
  });

  it('maps row errors to the keys of the rows that were sent', () => {
    const { fields } = toFormErrors([
      bad('input.requestParameters[1].apiField', 'collides with name'),
      bad('input.requestParameters[0]', 'bad row'),
      bad('input.responseParameters[0].profileField', 'read-only'),
      bad('input.requestParameters[7].apiField', 'out of range'),
    ]);
    const { byRow, listError } = rowErrors(fields, 'requestParameters', ['r0', 'r3']);
    expect(byRow).toEqual({ r3: { apiField: 'collides with name' }, r0: { row: 'bad row' } });
    expect(listError).toBeUndefined();
    expect(rowErrors(fields, 'responseParameters', ['r5']).byRow).toEqual({ r5: { profileField: 'read-only' } });
  });

  it('reports an error on the list itself', () => {
    const { fields } = toFormErrors([bad('input.inputParameters', 'needs an identifier row')]);
    expect(rowErrors(fields, 'inputParameters', []).listError).toBe('needs an identifier row');
  });

  it('lists the field errors no control shows', () => {
    const fields = { url: 'bad', 'headers[0].name': 'reserved', maxAttempts: 'too many' };
    expect(unclaimedFieldErrors(fields, (p) => p === 'url' || p.startsWith('headers['))).toEqual(['maxAttempts: too many']);
  });
});
