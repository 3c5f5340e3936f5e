/**
 * The administrator's view of the application configuration: every key as a
 * string (GET /api/application-configuration/all), sent back whole on save.
 */
import type { CustomClaim, ConfigEntry } from './types';

export type ConfigValues = Record<string, string>;

export function toValues(entries: unknown): ConfigValues {
  const values: ConfigValues = {};
  if (!Array.isArray(entries)) return values;
  for (const e of entries as ConfigEntry[]) {
    if (e && typeof e.key === 'string') values[e.key] = typeof e.value === 'string' ? e.value : '';
  }
  return values;
}

/** A JSON array of strings kept in a configuration value ("[]" when unreadable). */
export function parseIdList(value: string | undefined): string[] {
  try {
    const list: unknown = JSON.parse(value || '[]');
    return Array.isArray(list) ? list.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** A JSON array of {key, value} kept in a configuration value. */
export function parseClaimList(value: string | undefined): CustomClaim[] {
  try {
    const list: unknown = JSON.parse(value || '[]');
    if (!Array.isArray(list)) return [];
    return list
      .filter((c): c is CustomClaim => typeof c === 'object' && c !== null && 'key' in c)
      .map((c) => ({ key: String(c.key), value: String(c.value ?? '') }));
  } catch {
    return [];
  }
}

/** Which tab shows a key (to point at a field the server refused). */
export const KEY_TABS: Record<string, string> = {
  appName: 'general',
  sessionDuration: 'general',
  homePageUrl: 'general',
  accentColor: 'general',
  disableAnimations: 'general',
  emailsVerified: 'general',
  allowUserSignups: 'signup',
  signupDefaultUserGroupIDs: 'signup',
  signupDefaultCustomClaims: 'signup',
  requireUserEmail: 'signup',
  allowOwnAccountEdit: 'signup',
  webauthnUserVerification: 'passkeys',
  webauthnAllowSyncedPasskeys: 'passkeys',
  webauthnAuthenticatorAttachment: 'passkeys',
};

/** Accent colours offered as swatches (any CSS colour can be typed in as well). */
export const ACCENT_PRESETS: { value: string; label: string }[] = [
  { value: 'default', label: 'accent.default' },
  { value: '#2563eb', label: 'accent.blue' },
  { value: '#0d9488', label: 'accent.teal' },
  { value: '#16a34a', label: 'accent.green' },
  { value: '#ca8a04', label: 'accent.amber' },
  { value: '#ea580c', label: 'accent.orange' },
  { value: '#dc2626', label: 'accent.red' },
  { value: '#db2777', label: 'accent.pink' },
  { value: '#7c3aed', label: 'accent.violet' },
];
