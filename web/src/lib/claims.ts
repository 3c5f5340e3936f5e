/** Custom claims: the checks the server makes, so the form can point at the row. */
import { api } from './api';
import { t } from './i18n';
import type { CustomClaim } from './types';

/** Claim names the server keeps for itself (400 reserved_claim). */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'given_name',
  'family_name',
  'name',
  'email',
  'email_verified',
  'preferred_username',
  'display_name',
  'groups',
  'type',
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'acr',
  'amr',
  'azp',
  'client_id',
  'nbf',
  'jti',
]);

/** The claims to send: trimmed keys, rows left completely empty dropped. */
export function cleanClaims(claims: CustomClaim[]): CustomClaim[] {
  return claims
    .map((c) => ({ key: c.key.trim(), value: c.value }))
    .filter((c) => c.key !== '' || c.value.trim() !== '');
}

/**
 * A message per row index for keys that the server would refuse: empty,
 * reserved, or used twice. Empty when all rows are fine.
 */
export function claimErrors(claims: CustomClaim[]): Record<number, string> {
  const errors: Record<number, string> = {};
  const seen = new Set<string>();
  claims.forEach((claim, i) => {
    const key = claim.key.trim();
    if (key === '' && claim.value.trim() === '') return;
    if (key === '') errors[i] = t('claims.keyRequired');
    else if (RESERVED_CLAIMS.has(key)) errors[i] = t('claims.reserved', { key });
    else if (seen.has(key)) errors[i] = t('claims.duplicate', { key });
    seen.add(key);
  });
  return errors;
}

let suggestions: Promise<string[]> | null = null;

/** Claim keys already in use, most used first (fetched once per page load). */
export function claimSuggestions(): Promise<string[]> {
  suggestions ??= api<string[]>('GET', '/api/custom-claims/suggestions')
    .then((list) => (Array.isArray(list) ? list.filter((k) => typeof k === 'string') : []))
    .catch(() => {
      suggestions = null;
      return [];
    });
  return suggestions;
}

/** Forget the cached suggestions (after claims were saved). */
export function claimsChanged(): void {
  suggestions = null;
}
