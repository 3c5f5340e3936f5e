/** Checks for a group's names, shared by the create and detail pages. */
import type { FieldError } from './api';
import type { FormChecks } from './form.svelte';
import { t } from './i18n';

export interface GroupValues {
  friendlyName: string;
  name: string;
}

export type GroupErrors = Partial<Record<keyof GroupValues, string>>;

/** The group name derived from a friendly name: "Human Resources" → "human_resources". */
export function nameFromFriendly(friendly: string): string {
  return friendly
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 255);
}

export function validateGroup(v: GroupValues): GroupErrors {
  const errors: GroupErrors = {};
  const friendly = [...v.friendlyName.trim()].length;
  if (friendly === 0) errors.friendlyName = t('fields.required');
  else if (friendly < 2) errors.friendlyName = t('fields.tooShort', { min: 2 });
  else if (friendly > 50) errors.friendlyName = t('fields.tooLong', { max: 50 });
  const name = [...v.name.trim()].length;
  if (name === 0) errors.name = t('fields.required');
  else if (name < 2) errors.name = t('fields.tooShort', { min: 2 });
  else if (name > 255) errors.name = t('fields.tooLong', { max: 255 });
  return errors;
}

export function serverGroupErrors(fields: FieldError[], message = ''): GroupErrors {
  const errors: GroupErrors = {};
  for (const f of fields) {
    const key = f.field.replace(/[_\s]/g, '').toLowerCase();
    if (key === 'friendlyname') errors.friendlyName ??= f.message;
    else if (key === 'name') errors.name ??= f.message;
  }
  if (!errors.name && /already in use/i.test(message)) errors.name = message;
  return errors;
}

export function focusGroupError(errors: GroupErrors, prefix: string): void {
  const first = (['friendlyName', 'name'] as const).find((k) => errors[k]);
  if (first) document.getElementById(`${prefix}-${first}`)?.focus();
}

/** How a group's form judges its names; the fields' ids start with `prefix`. */
export function groupChecks(prefix: string, values: () => GroupValues): FormChecks<GroupErrors> {
  return {
    check: () => validateGroup(values()),
    focus: (errors) => focusGroupError(errors, prefix),
    fromServer: (err) =>
      serverGroupErrors(err.fields, err.code === 'already_in_use' ? err.message : ''),
  };
}
