/**
 * A small JSON client for the server's /api routes. Every failure becomes an
 * ApiError carrying the HTTP status and the server's `code` and `error` text.
 */

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldError[];

  constructor(status: number, code: string, message: string, fields: FieldError[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

let unauthorizedHandler: (() => void) | null = null;

/**
 * Registers a function called whenever the server says the session is gone
 * (401 not_signed_in), so the app can send the user back to sign-in.
 */
export function onUnauthorized(handler: () => void): void {
  unauthorizedHandler = handler;
}

function parseFields(details: unknown): FieldError[] {
  if (typeof details !== 'object' || details === null) return [];
  const fields = (details as { fields?: unknown }).fields;
  if (!Array.isArray(fields)) return [];
  return fields.filter(
    (f): f is FieldError =>
      typeof f === 'object' &&
      f !== null &&
      typeof (f as FieldError).field === 'string' &&
      typeof (f as FieldError).message === 'string',
  );
}

async function toError(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let fields: FieldError[] = [];
  try {
    const body: unknown = await res.json();
    if (typeof body === 'object' && body !== null) {
      const o = body as Record<string, unknown>;
      if (typeof o.code === 'string' && o.code) code = o.code;
      if (typeof o.error === 'string' && o.error) message = o.error;
      fields = parseFields(o.details);
    }
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(res.status, code, message, fields);
}

export interface RequestOptions {
  /** Do not treat a 401 as the end of the session (used by sign-in calls). */
  quietUnauthorized?: boolean;
}

/**
 * Sends a request to the API. `body`, when given, is sent as JSON. Resolves
 * with the parsed JSON body, or `undefined` for empty answers (204).
 */
export async function api<T = unknown>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return send<T>(path, init, options);
}

/**
 * Uploads one file as multipart/form-data in the field `file` (how the image
 * routes take them). Resolves like `api`.
 */
export async function uploadFile<T = unknown>(
  method: 'POST' | 'PUT',
  path: string,
  file: File,
  options: RequestOptions = {},
): Promise<T> {
  const form = new FormData();
  form.append('file', file, file.name);
  const init: RequestInit = {
    method,
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
    cache: 'no-store',
    body: form,
  };
  return send<T>(path, init, options);
}

async function send<T>(path: string, init: RequestInit, options: RequestOptions): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'network_error', err instanceof Error ? err.message : String(err));
  }
  if (!res.ok) {
    const error = await toError(res);
    if (
      error.status === 401 &&
      error.code === 'not_signed_in' &&
      !options.quietUnauthorized &&
      unauthorizedHandler
    ) {
      unauthorizedHandler();
    }
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, 'invalid_response', 'The server sent an unreadable answer.');
  }
}
