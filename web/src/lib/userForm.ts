/** Checks for the user fields shared by the setup form and the account form. */
import type { ApiError, FieldError } from './api';
import { config } from './config.svelte';
import type { FormChecks } from './form.svelte';
import { t } from './i18n';
import type { User, UserCreate } from './types';

export type UserField = 'firstName' | 'lastName' | 'displayName' | 'username' | 'email';
export type FieldErrors = Partial<Record<UserField, string>>;

const USERNAME = /^[a-zA-Z0-9]([a-zA-Z0-9_.@-]*[a-zA-Z0-9])?$/;
// Loose on purpose: the server decides; this only catches obvious slips.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface UserFieldValues {
  firstName: string;
  lastName: string;
  displayName?: string;
  username: string;
  email: string;
}

/** Returns a message for each field that is not acceptable (empty when all are). */
export function validateUser(v: UserFieldValues, requireEmail: boolean): FieldErrors {
  const errors: FieldErrors = {};
  const first = v.firstName.trim();
  if (!first) errors.firstName = t('fields.required');
  else if ([...first].length > 50) errors.firstName = t('fields.tooLong', { max: 50 });
  if ([...v.lastName.trim()].length > 50) errors.lastName = t('fields.tooLong', { max: 50 });
  if (v.displayName !== undefined) {
    if ([...v.displayName.trim()].length > 100) {
      errors.displayName = t('fields.tooLong', { max: 100 });
    }
  }
  const username = v.username.trim();
  if (!username) errors.username = t('fields.required');
  else if (username.length > 50) errors.username = t('fields.tooLong', { max: 50 });
  else if (!USERNAME.test(username)) errors.username = t('fields.usernameInvalid');
  const email = v.email.trim();
  if (!email) {
    if (requireEmail) errors.email = t('fields.required');
  } else if (!EMAIL.test(email)) {
    errors.email = t('fields.emailInvalid');
  }
  return errors;
}

const known: UserField[] = ['firstName', 'lastName', 'displayName', 'username', 'email'];

/** Maps the server's validation details onto the form's fields. */
export function serverFieldErrors(fields: FieldError[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const f of fields) {
    const name = known.find((k) => k.toLowerCase() === f.field.replace(/[_\s]/g, '').toLowerCase());
    if (name && !errors[name]) errors[name] = f.message;
  }
  return errors;
}

/** The server's messages per field, and the taken username or email of a conflict on its field. */
export function serverUserErrors(err: ApiError): FieldErrors {
  const errors = serverFieldErrors(err.fields);
  if (err.code === 'already_in_use') {
    if (/email/i.test(err.message)) errors.email = err.message;
    else if (/username/i.test(err.message)) errors.username = err.message;
  }
  return errors;
}

/** Moves focus to the first field with an error, in form order. */
export function focusFirstError(errors: FieldErrors, prefix: string): void {
  const first = known.find((k) => errors[k]);
  if (first) document.getElementById(`${prefix}-${first}`)?.focus();
}

/** How a user's form judges its fields; their ids start with `prefix`. */
export function userChecks(prefix: string, values: () => UserFieldValues): FormChecks<FieldErrors> {
  return {
    check: () => validateUser(values(), config.requireUserEmail),
    focus: (errors) => focusFirstError(errors, prefix),
    fromServer: serverUserErrors,
  };
}

/** The administrator's user form: the shared fields plus the account flags. */
export interface AdminUserValues {
  firstName: string;
  lastName: string;
  displayName: string;
  username: string;
  email: string;
  isAdmin: boolean;
  disabled: boolean;
  emailVerified: boolean;
}

export function emptyAdminUser(): AdminUserValues {
  return {
    firstName: '',
    lastName: '',
    displayName: '',
    username: '',
    email: '',
    isAdmin: false,
    disabled: false,
    emailVerified: false,
  };
}

/** A user's shared fields as a form edits them (no email is an empty field). */
export function userFieldsFrom(user: User): Required<UserFieldValues> {
  return {
    firstName: user.firstName,
    lastName: user.lastName,
    displayName: user.displayName,
    username: user.username,
    email: user.email ?? '',
  };
}

export function adminUserFrom(user: User): AdminUserValues {
  return {
    ...userFieldsFrom(user),
    isAdmin: user.isAdmin,
    disabled: user.disabled,
    emailVerified: user.emailVerified,
  };
}

/** The request body for POST /api/users and PUT /api/users/:id. */
export function toUserCreate(v: AdminUserValues, locale: string | null = null): UserCreate {
  return {
    firstName: v.firstName.trim(),
    lastName: v.lastName.trim(),
    displayName: v.displayName.trim(),
    username: v.username.trim(),
    email: v.email.trim(),
    isAdmin: v.isAdmin,
    disabled: v.disabled,
    emailVerified: v.emailVerified,
    locale,
  };
}

/** "First Last", as the display name starts out. */
export function defaultDisplayName(firstName: string, lastName: string): string {
  return `${firstName.trim()} ${lastName.trim()}`.trim();
}
