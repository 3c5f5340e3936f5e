/**
 * Passkey ceremonies in the browser: base64url helpers, conversion between the
 * server's JSON options and the WebAuthn API, the two ceremonies, and plain-words
 * explanations of everything that can go wrong.
 */
import { api, ApiError } from './api';
import { t, type MessageKey } from './i18n';
import type { Passkey, User } from './types';

// ---------------------------------------------------------------------------
// base64url

/** Encodes bytes as unpadded base64url. */
export function toBase64url(data: ArrayBuffer | ArrayBufferView): string {
  const bytes =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes base64url (padding optional; standard base64 also accepted). */
export function fromBase64url(text: string): ArrayBuffer {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(b64) || b64.length % 4 === 1) {
    throw new TypeError('Invalid base64url text');
  }
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

// ---------------------------------------------------------------------------
// Options (server JSON -> WebAuthn API)

interface CredentialDescriptorJSON {
  type: string;
  id: string;
  transports?: string[];
}

export interface CreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { type: string; alg: number }[];
  timeout?: number;
  excludeCredentials?: CredentialDescriptorJSON[] | null;
  authenticatorSelection?: AuthenticatorSelectionCriteria;
  attestation?: string;
  extensions?: Record<string, unknown>;
  [other: string]: unknown;
}

export interface RequestOptionsJSON {
  challenge: string;
  timeout?: number;
  rpId?: string;
  allowCredentials?: CredentialDescriptorJSON[] | null;
  userVerification?: string;
  extensions?: Record<string, unknown>;
  [other: string]: unknown;
}

function descriptors(list: CredentialDescriptorJSON[] | null | undefined) {
  return (list ?? []).map((d) => ({
    type: 'public-key' as const,
    id: fromBase64url(d.id),
    ...(d.transports ? { transports: d.transports as AuthenticatorTransport[] } : {}),
  }));
}

export function creationOptionsFromJSON(
  json: CreationOptionsJSON,
): PublicKeyCredentialCreationOptions {
  return {
    ...(json as object),
    rp: json.rp,
    user: { ...json.user, id: fromBase64url(json.user.id) },
    challenge: fromBase64url(json.challenge),
    pubKeyCredParams: json.pubKeyCredParams as PublicKeyCredentialParameters[],
    excludeCredentials: descriptors(json.excludeCredentials),
  } as PublicKeyCredentialCreationOptions;
}

export function requestOptionsFromJSON(json: RequestOptionsJSON): PublicKeyCredentialRequestOptions {
  const options = {
    ...(json as object),
    challenge: fromBase64url(json.challenge),
  } as PublicKeyCredentialRequestOptions & { allowCredentials?: unknown };
  if (json.allowCredentials && json.allowCredentials.length > 0) {
    options.allowCredentials = descriptors(json.allowCredentials);
  } else {
    delete options.allowCredentials;
  }
  return options;
}

// ---------------------------------------------------------------------------
// Responses (WebAuthn API -> server JSON)

/** Keeps only the extension outputs that are plain JSON (credProps). */
function extensionResults(credential: PublicKeyCredential): Record<string, unknown> {
  const results = credential.getClientExtensionResults() as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (results && typeof results.credProps === 'object' && results.credProps !== null) {
    out.credProps = results.credProps;
  }
  return out;
}

export function registrationToJSON(credential: PublicKeyCredential): Record<string, unknown> {
  const response = credential.response as AuthenticatorAttestationResponse;
  const transports =
    typeof response.getTransports === 'function' ? response.getTransports() : undefined;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      attestationObject: toBase64url(response.attestationObject),
      ...(transports ? { transports } : {}),
    },
    clientExtensionResults: extensionResults(credential),
    ...(credential.authenticatorAttachment
      ? { authenticatorAttachment: credential.authenticatorAttachment }
      : {}),
  };
}

export function authenticationToJSON(credential: PublicKeyCredential): Record<string, unknown> {
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
      ...(response.userHandle ? { userHandle: toBase64url(response.userHandle) } : {}),
    },
    clientExtensionResults: extensionResults(credential),
    ...(credential.authenticatorAttachment
      ? { authenticatorAttachment: credential.authenticatorAttachment }
      : {}),
  };
}

// ---------------------------------------------------------------------------
// Ceremonies

export type CeremonyKind = 'login' | 'register';

/** A failure in the browser's part of a ceremony, with what is needed to explain it. */
export class PasskeyError extends Error {
  readonly kind: CeremonyKind;
  readonly cause: unknown;
  readonly rpId: string | undefined;

  constructor(kind: CeremonyKind, cause: unknown, rpId?: string) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'PasskeyError';
    this.kind = kind;
    this.cause = cause;
    this.rpId = rpId;
  }
}

/** True when this page can use passkeys at all (secure context, API present). */
export function passkeysSupported(): boolean {
  return (
    typeof window !== 'undefined' &&
    window.isSecureContext &&
    typeof window.PublicKeyCredential === 'function' &&
    typeof navigator.credentials?.create === 'function'
  );
}

function unsupported(kind: CeremonyKind): PasskeyError {
  return new PasskeyError(kind, new DOMException('Passkeys are unavailable', 'NotSupportedError'));
}

/**
 * Signs in with a discoverable passkey: options from the server, the browser's
 * prompt, then the assertion back to the server. Resolves with the signed-in user.
 */
export async function signInWithPasskey(signal?: AbortSignal): Promise<User> {
  if (!passkeysSupported()) throw unsupported('login');
  const json = await api<RequestOptionsJSON>('GET', '/api/webauthn/login/start', undefined, {
    quietUnauthorized: true,
  });
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.get({
      publicKey: requestOptionsFromJSON(json),
      signal,
    });
  } catch (err) {
    throw new PasskeyError('login', err, json.rpId);
  }
  if (!(credential instanceof PublicKeyCredential)) {
    throw new PasskeyError('login', new DOMException('No passkey chosen', 'NotAllowedError'));
  }
  return api<User>('POST', '/api/webauthn/login/finish', authenticationToJSON(credential), {
    quietUnauthorized: true,
  });
}

/**
 * Creates a passkey for the signed-in user and registers it with the server.
 * Resolves with the stored passkey.
 */
export async function registerPasskey(signal?: AbortSignal): Promise<Passkey> {
  if (!passkeysSupported()) throw unsupported('register');
  const json = await api<CreationOptionsJSON>('GET', '/api/webauthn/register/start');
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.create({
      publicKey: creationOptionsFromJSON(json),
      signal,
    });
  } catch (err) {
    throw new PasskeyError('register', err, json.rp?.id);
  }
  if (!(credential instanceof PublicKeyCredential)) {
    throw new PasskeyError('register', new DOMException('No passkey made', 'NotAllowedError'));
  }
  return api<Passkey>('POST', '/api/webauthn/register/finish', registrationToJSON(credential));
}

// ---------------------------------------------------------------------------
// Plain-words explanations

const browserErrors: Record<string, Record<CeremonyKind, MessageKey>> = {
  NotAllowedError: { login: 'passkeyError.notAllowedLogin', register: 'passkeyError.notAllowedRegister' },
  InvalidStateError: { login: 'passkeyError.invalidStateLogin', register: 'passkeyError.invalidStateRegister' },
  SecurityError: { login: 'passkeyError.security', register: 'passkeyError.security' },
  AbortError: { login: 'passkeyError.abort', register: 'passkeyError.abort' },
  NotSupportedError: { login: 'passkeyError.notSupported', register: 'passkeyError.notSupported' },
  ConstraintError: { login: 'passkeyError.constraint', register: 'passkeyError.constraint' },
};

/** Server error codes that get an extra sentence on what to do next. */
const serverHints: Record<string, MessageKey> = {
  passkey_not_registered: 'passkeyError.hintNotRegistered',
  invalid_webauthn_session: 'passkeyError.hintSession',
  webauthn_authentication_failed: 'passkeyError.hintAuthFailed',
  webauthn_registration_failed: 'passkeyError.hintRegistrationFailed',
  passkey_user_verification_required: 'passkeyError.hintUserVerification',
  synced_passkey_not_allowed: 'passkeyError.hintSynced',
  already_in_use: 'passkeyError.hintAlreadyInUse',
  rate_limited: 'passkeyError.hintRateLimited',
  user_disabled: 'passkeyError.hintDisabled',
  token_invalid_or_expired: 'passkeyError.hintTokenInvalid',
};

/** Explains an API failure: the server's own message plus, for known codes, what to do. */
export function describeApiError(err: ApiError): string {
  if (err.status === 0) return t('errors.network');
  const hint = serverHints[err.code];
  if (!hint) return err.message;
  const end = /[.!?]$/.test(err.message) ? '' : '.';
  return `${err.message}${end} ${t(hint)}`;
}

/** Turns any error from a ceremony into one or two sentences for the user. */
export function describePasskeyError(err: unknown): string {
  if (err instanceof ApiError) return describeApiError(err);
  if (err instanceof PasskeyError) {
    const name = err.cause instanceof Error ? err.cause.name : '';
    const keys = browserErrors[name];
    if (keys) {
      return t(keys[err.kind], { origin: location.origin, rpId: err.rpId ?? location.hostname });
    }
    return t('passkeyError.unknown', { detail: err.message });
  }
  return t('passkeyError.unknown', { detail: err instanceof Error ? err.message : String(err) });
}
