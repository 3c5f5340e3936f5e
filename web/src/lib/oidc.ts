/**
 * OpenID Connect clients in the browser: the shapes of the client, secret,
 * app and interaction answers (Pocket ID's wire format), the client form's
 * values and checks, token lifetimes in friendly units, and the passkey
 * confirmation the sign-in interaction asks for.
 */
import { api, type FieldError } from './api';
import type { FormChecks } from './form.svelte';
import { t, type MessageKey } from './i18n';
import type { UserGroup } from './types';
import {
  authenticationToJSON,
  PasskeyError,
  passkeysSupported,
  requestOptionsFromJSON,
  type RequestOptionsJSON,
} from './webauthn';

// ---------------------------------------------------------------------------
// Wire shapes

/** OidcClientMetaDataDto: what anyone may know about a client. */
export interface OidcClientMeta {
  id: string;
  name: string;
  description?: string;
  hasLogo: boolean;
  hasDarkLogo: boolean;
  launchURL: string | null;
  requiresReauthentication: boolean;
  clientType?: string;
}

export interface FederatedIdentity {
  issuer: string;
  subject?: string;
  audience?: string;
  jwks?: string;
}

/** OidcClientDto and its list/detail variants. */
export interface OidcClient extends OidcClientMeta {
  callbackURLs: string[] | null;
  logoutCallbackURLs: string[] | null;
  isPublic: boolean;
  pkceEnabled: boolean;
  pkceSupported?: boolean;
  requiresPushedAuthorizationRequests?: boolean;
  skipConsent?: boolean;
  isGroupRestricted?: boolean;
  credentials?: { federatedIdentities?: FederatedIdentity[] | null };
  accessTokenDurationMinutes?: number;
  refreshTokenDurationMinutes?: number;
  createdAt?: string;
  /** GET /api/oidc/clients/:id */
  allowedUserGroups?: UserGroup[] | null;
  /** GET /api/oidc/clients */
  allowedUserGroupsCount?: number;
}

export interface ClientSecret {
  id: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  isActive: boolean;
}

/** The answer to creating a secret: the only time its value is sent. */
export interface ClientSecretCreated extends ClientSecret {
  secret: string;
}

/** GET /api/oidc/users/me/clients */
export interface AccessibleClient extends OidcClientMeta {
  lastUsedAt: string | null;
}

/** GET /api/oidc/users/me/authorized-clients */
export interface AuthorizedClient {
  scope: string;
  client: OidcClientMeta;
  lastUsedAt: string | null;
}

export type InteractionStep = 'authenticate' | 'select_account' | 'reauthenticate' | 'consent';

export interface Interaction {
  id: string;
  client: OidcClientMeta;
  scopes: string[];
  currentStep: InteractionStep;
  requiredSteps: InteractionStep[];
  user: { id: string; username: string; displayName: string; email: string | null } | null;
}

/** POST /api/oidc/interactions/:id/complete: more to do, or where to go. */
export interface InteractionAnswer {
  interaction?: Interaction;
  redirectUrl?: string;
}

/** The parts of the discovery document an administrator copies into an app. */
export interface Discovery {
  issuer?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  jwks_uri?: string;
  end_session_endpoint?: string;
}

// ---------------------------------------------------------------------------
// Addresses

export function clientApi(id: string): string {
  return `/api/oidc/clients/${encodeURIComponent(id)}`;
}

/**
 * A client's logo. `version` changes after an upload so that the browser
 * does not show the copy it cached (the server lets it keep one 15 minutes).
 */
export function clientLogoUrl(id: string, light: boolean, version = 0): string {
  const v = version ? `&v=${version}` : '';
  return `${clientApi(id)}/logo?light=${light}${v}`;
}

/** Only http(s) addresses become links: a launch URL is typed by an administrator. */
export function launchHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * Whether the browser may be sent to `url` after an interaction: the server's
 * own path, or the app's callback, which may be a native app's own scheme;
 * never a script or data address.
 */
export function safeRedirect(url: string | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url, location.origin);
  } catch {
    return null;
  }
  if (/[\u0000-\u001f\u007f]/.test(url)) return null;
  return ['javascript:', 'data:', 'vbscript:', 'blob:', 'file:'].includes(parsed.protocol)
    ? null
    : parsed.href;
}

// ---------------------------------------------------------------------------
// The client form

export interface ClientValues {
  /** A chosen client ID (creation only); empty for a random one. */
  customId: string;
  name: string;
  description: string;
  callbackURLs: string[];
  logoutCallbackURLs: string[];
  launchURL: string;
  isPublic: boolean;
  pkceEnabled: boolean;
  requiresReauthentication: boolean;
  requiresPushedAuthorizationRequests: boolean;
  skipConsent: boolean;
  accessTokenDurationMinutes: number;
  refreshTokenDurationMinutes: number;
}

export type ClientField =
  | 'customId'
  | 'name'
  | 'description'
  | 'callbackURLs'
  | 'logoutCallbackURLs'
  | 'launchURL'
  | 'accessTokenDurationMinutes'
  | 'refreshTokenDurationMinutes';

export type ClientErrors = Partial<Record<ClientField, string>>;

/** Pocket ID's defaults: one hour for access tokens, 30 days for refresh tokens. */
export const ACCESS_TOKEN_DEFAULT = 60;
export const REFRESH_TOKEN_DEFAULT = 43200;
/** The longest lifetime the server takes: 365 days in minutes. */
export const LIFETIME_MAX = 525600;

export function emptyClient(): ClientValues {
  return {
    customId: '',
    name: '',
    description: '',
    callbackURLs: [''],
    logoutCallbackURLs: [],
    launchURL: '',
    isPublic: false,
    pkceEnabled: false,
    requiresReauthentication: false,
    requiresPushedAuthorizationRequests: false,
    skipConsent: false,
    accessTokenDurationMinutes: ACCESS_TOKEN_DEFAULT,
    refreshTokenDurationMinutes: REFRESH_TOKEN_DEFAULT,
  };
}

export function clientValuesFrom(c: OidcClient): ClientValues {
  return {
    customId: '',
    name: c.name,
    description: c.description ?? '',
    callbackURLs: [...(c.callbackURLs ?? [])],
    logoutCallbackURLs: [...(c.logoutCallbackURLs ?? [])],
    launchURL: c.launchURL ?? '',
    isPublic: c.isPublic,
    pkceEnabled: c.pkceEnabled || c.isPublic,
    requiresReauthentication: c.requiresReauthentication,
    requiresPushedAuthorizationRequests: !!c.requiresPushedAuthorizationRequests,
    skipConsent: !!c.skipConsent,
    accessTokenDurationMinutes: c.accessTokenDurationMinutes || ACCESS_TOKEN_DEFAULT,
    refreshTokenDurationMinutes: c.refreshTokenDurationMinutes || REFRESH_TOKEN_DEFAULT,
  };
}

const CLIENT_ID = /^[a-zA-Z0-9._-]+$/;
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

function urlProblem(value: string): string | null {
  const scheme = SCHEME.exec(value)?.[1].toLowerCase();
  if (!scheme) return t('clientForm.urlScheme');
  if (scheme === 'javascript' || scheme === 'data' || scheme === 'vbscript') {
    return t('clientForm.urlForbidden', { scheme });
  }
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return t('clientForm.urlSpaces');
  if (value.includes('#')) return t('clientForm.urlFragment');
  return null;
}

function listProblem(list: string[]): string | undefined {
  for (const [i, raw] of list.entries()) {
    const value = raw.trim();
    if (!value) continue;
    const problem = urlProblem(value);
    if (problem) return t('clientForm.urlAt', { n: i + 1, problem });
  }
  return undefined;
}

function lifetimeProblem(minutes: number): string | undefined {
  if (!Number.isInteger(minutes) || minutes < 1) return t('clientForm.lifetimeMin');
  if (minutes > LIFETIME_MAX) return t('clientForm.lifetimeMax');
  return undefined;
}

/** Returns a message for each field that cannot be sent as it is. */
export function validateClient(v: ClientValues, creating: boolean): ClientErrors {
  const errors: ClientErrors = {};
  const name = [...v.name.trim()].length;
  if (name === 0) errors.name = t('fields.required');
  else if (name > 50) errors.name = t('fields.tooLong', { max: 50 });
  if ([...v.description.trim()].length > 150) errors.description = t('fields.tooLong', { max: 150 });
  const id = v.customId.trim();
  if (creating && id) {
    if (id.length < 2) errors.customId = t('fields.tooShort', { min: 2 });
    else if (id.length > 128) errors.customId = t('fields.tooLong', { max: 128 });
    else if (!CLIENT_ID.test(id)) errors.customId = t('clientForm.idInvalid');
  }
  const callbacks = listProblem(v.callbackURLs);
  if (callbacks) errors.callbackURLs = callbacks;
  const logouts = listProblem(v.logoutCallbackURLs);
  if (logouts) errors.logoutCallbackURLs = logouts;
  const launch = v.launchURL.trim();
  if (launch && !launchHref(launch)) errors.launchURL = t('clientForm.launchInvalid');
  const access = lifetimeProblem(v.accessTokenDurationMinutes);
  if (access) errors.accessTokenDurationMinutes = access;
  const refresh = lifetimeProblem(v.refreshTokenDurationMinutes);
  if (refresh) errors.refreshTokenDurationMinutes = refresh;
  return errors;
}

const FIELD_ORDER: ClientField[] = [
  'customId',
  'name',
  'description',
  'callbackURLs',
  'logoutCallbackURLs',
  'launchURL',
  'accessTokenDurationMinutes',
  'refreshTokenDurationMinutes',
];

/** The element to focus for a field with an error (lists: their first address). */
export function focusClientError(errors: ClientErrors, prefix: string): void {
  const first = FIELD_ORDER.find((k) => errors[k]);
  if (!first) return;
  const target =
    document.getElementById(`${prefix}-${first}`) ??
    document.getElementById(`${prefix}-${first}-0`) ??
    document.getElementById(`${prefix}-${first}-add`);
  target?.focus();
}

const FIELD_LABELS: Record<ClientField, MessageKey> = {
  customId: 'clientForm.customId',
  name: 'clientForm.name',
  description: 'clientForm.description',
  callbackURLs: 'clientForm.callbackURLs',
  logoutCallbackURLs: 'clientForm.logoutCallbackURLs',
  launchURL: 'clientForm.launchURL',
  accessTokenDurationMinutes: 'clientForm.accessLifetime',
  refreshTokenDurationMinutes: 'clientForm.refreshLifetime',
};

/**
 * Maps the server's validation details ("callbackURLs", "id", ...) onto the
 * form, each message led by the field's label: "Callback URLs must be ...".
 */
export function serverClientErrors(fields: FieldError[], code = '', message = ''): ClientErrors {
  const errors: ClientErrors = {};
  for (const f of fields) {
    const key = f.field.replace(/\[\d*\]$/, '').replace(/[_\s]/g, '').toLowerCase();
    const field: ClientField | undefined =
      key === 'id' ? 'customId' : FIELD_ORDER.find((k) => k.toLowerCase() === key);
    if (field && !errors[field]) errors[field] = `${t(FIELD_LABELS[field])} ${f.message}`;
  }
  if (code === 'client_id_already_exists') errors.customId ??= message;
  return errors;
}

/** How a client's form judges its fields; their ids start with `prefix`. */
export function clientChecks(
  prefix: string,
  values: () => ClientValues,
  creating: boolean,
): FormChecks<ClientErrors> {
  return {
    check: () => validateClient(values(), creating),
    focus: (errors) => focusClientError(errors, prefix),
    fromServer: (err) => serverClientErrors(err.fields, err.code, err.message),
  };
}

function cleanList(list: string[]): string[] {
  return list.map((u) => u.trim()).filter((u) => u !== '');
}

/**
 * The body of POST /api/oidc/clients, or of PUT /api/oidc/clients/:id when
 * `current` is the client as saved: what the form does not show (logos,
 * federated identities, group restriction) is sent back unchanged.
 */
export function toClientBody(v: ClientValues, current?: OidcClient): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: v.name.trim(),
    description: v.description.trim(),
    callbackURLs: cleanList(v.callbackURLs),
    logoutCallbackURLs: cleanList(v.logoutCallbackURLs),
    launchURL: v.launchURL.trim() || null,
    isPublic: v.isPublic,
    pkceEnabled: v.isPublic || v.pkceEnabled,
    requiresReauthentication: v.requiresReauthentication,
    requiresPushedAuthorizationRequests: v.requiresPushedAuthorizationRequests,
    skipConsent: v.skipConsent,
    accessTokenDurationMinutes: v.accessTokenDurationMinutes,
    refreshTokenDurationMinutes: v.refreshTokenDurationMinutes,
  };
  if (current) {
    body.isGroupRestricted = !!current.isGroupRestricted;
    body.hasLogo = current.hasLogo;
    body.hasDarkLogo = current.hasDarkLogo;
    body.pkceSupported = !!current.pkceSupported;
    body.credentials = { federatedIdentities: current.credentials?.federatedIdentities ?? [] };
  } else {
    // A new client serves nobody until an administrator unrestricts it or
    // picks its groups, as in Pocket ID.
    body.isGroupRestricted = true;
    const id = v.customId.trim();
    if (id) body.id = id;
  }
  return body;
}

/** The PUT body that changes only the group restriction of a saved client. */
export function restrictionBody(c: OidcClient, restricted: boolean): Record<string, unknown> {
  return { ...toClientBody(clientValuesFrom(c), c), isGroupRestricted: restricted };
}

// ---------------------------------------------------------------------------
// Lifetimes

export type LifetimeUnit = 'minutes' | 'hours' | 'days';

export const UNIT_MINUTES: Record<LifetimeUnit, number> = { minutes: 1, hours: 60, days: 1440 };

/** The largest unit that expresses `minutes` exactly: 43200 → 30 days. */
export function splitLifetime(minutes: number): { amount: number; unit: LifetimeUnit } {
  for (const unit of ['days', 'hours'] as const) {
    if (minutes > 0 && minutes % UNIT_MINUTES[unit] === 0) {
      return { amount: minutes / UNIT_MINUTES[unit], unit };
    }
  }
  return { amount: minutes, unit: 'minutes' };
}

// ---------------------------------------------------------------------------
// Scopes in plain words

const SCOPE_WORDS: Record<string, MessageKey> = {
  openid: 'scope.openid',
  profile: 'scope.profile',
  email: 'scope.email',
  groups: 'scope.groups',
  offline_access: 'scope.offlineAccess',
};

/** What granting a scope lets the app see, or null for scopes we have no words for. */
export function describeScope(scope: string): string | null {
  const key = SCOPE_WORDS[scope];
  return key ? t(key) : null;
}

/** The scopes of a consent record: a JSON list in a string, or space-separated. */
export function parseScopes(scope: string | null | undefined): string[] {
  if (!scope) return [];
  try {
    const list: unknown = JSON.parse(scope);
    if (Array.isArray(list)) return list.filter((s): s is string => typeof s === 'string');
  } catch {
    // Not JSON: a plain scope string.
  }
  return scope.split(/\s+/).filter(Boolean);
}

// ---------------------------------------------------------------------------
// A new client's first secret, handed from the creation form to the client page

let pendingSecret: { clientId: string; secret: ClientSecretCreated } | null = null;

export function handOverSecret(clientId: string, secret: ClientSecretCreated): void {
  pendingSecret = { clientId, secret };
}

/** The secret created with the client, once: later calls get null. */
export function takeSecret(clientId: string): ClientSecretCreated | null {
  if (pendingSecret?.clientId !== clientId) return null;
  const { secret } = pendingSecret;
  pendingSecret = null;
  return secret;
}

// ---------------------------------------------------------------------------
// Re-authentication

/**
 * Proves a fresh presence with one of the signed-in user's passkeys (a new
 * assertion sent to POST /api/webauthn/reauthenticate), or with none when
 * `recentSignIn` says the session comes from a passkey sign-in a moment ago.
 * The server then sets the short-lived re-authentication cookie.
 */
export async function reauthenticate(signal?: AbortSignal, recentSignIn = false): Promise<void> {
  if (recentSignIn) {
    await api('POST', '/api/webauthn/reauthenticate', undefined, { quietUnauthorized: true });
    return;
  }
  if (!passkeysSupported()) {
    throw new PasskeyError('login', new DOMException('Passkeys are unavailable', 'NotSupportedError'));
  }
  const json = await api<RequestOptionsJSON>('GET', '/api/webauthn/login/start', undefined, {
    quietUnauthorized: true,
  });
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.get({ publicKey: requestOptionsFromJSON(json), signal });
  } catch (err) {
    throw new PasskeyError('login', err, json.rpId);
  }
  if (!(credential instanceof PublicKeyCredential)) {
    throw new PasskeyError('login', new DOMException('No passkey chosen', 'NotAllowedError'));
  }
  await api('POST', '/api/webauthn/reauthenticate', authenticationToJSON(credential), {
    quietUnauthorized: true,
  });
}
