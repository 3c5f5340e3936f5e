import { isLocalPath } from './paths';
import type { ConfigEntry } from './types';

/** Pocket ID's default application name; Symbolon keeps it as a drop-in default. */
export const DEFAULT_APP_NAME = 'Pocket ID';

type LoadState = 'idle' | 'loading' | 'loaded' | 'failed';

/** Pocket ID's default landing page after sign-in. */
export const DEFAULT_HOME_PAGE = '/settings/account';

export type SignupMode = 'disabled' | 'withToken' | 'open';

class AppConfig {
  appName = $state(DEFAULT_APP_NAME);
  homePageUrl = $state(DEFAULT_HOME_PAGE);
  allowOwnAccountEdit = $state(true);
  requireUserEmail = $state(true);
  /** A CSS colour, or "default" for the built-in one. */
  accentColor = $state('default');
  disableAnimations = $state(false);
  allowUserSignups = $state<SignupMode>('disabled');
  emailOneTimeAccessAsAdminEnabled = $state(false);
  /** True when the configuration comes from environment variables (read-only). */
  uiConfigDisabled = $state(false);
  /**
   * Changed after an image upload so that <img> addresses change and reload
   * (kept in localStorage: this browser may hold the old image in its cache).
   */
  imageVersion = $state(storedImageVersion());
  state = $state<LoadState>('idle');
}

const IMAGE_VERSION_KEY = 'symbolon.imageVersion';

function storedImageVersion(): number {
  try {
    return Number(localStorage.getItem(IMAGE_VERSION_KEY)) || 0;
  } catch {
    return 0;
  }
}

/** Public application configuration, reactive wherever it is read. */
export const config = new AppConfig();

function isEntry(v: unknown): v is ConfigEntry {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.key === 'string' && typeof o.value === 'string';
}

const truthy = (value: string): boolean => value === 'true';

/** Applies a `GET /api/application-configuration` response body. */
export function applyConfig(body: unknown): void {
  if (!Array.isArray(body)) return;
  for (const entry of body) {
    if (!isEntry(entry)) continue;
    const value = entry.value.trim();
    switch (entry.key) {
      case 'appName':
        config.appName = value || DEFAULT_APP_NAME;
        break;
      case 'homePageUrl':
        config.homePageUrl = isLocalPath(value) ? value : DEFAULT_HOME_PAGE;
        break;
      case 'allowOwnAccountEdit':
        config.allowOwnAccountEdit = value !== 'false';
        break;
      case 'requireUserEmail':
        config.requireUserEmail = value !== 'false';
        break;
      case 'accentColor':
        config.accentColor = value || 'default';
        break;
      case 'disableAnimations':
        config.disableAnimations = truthy(value);
        break;
      case 'allowUserSignups':
        config.allowUserSignups =
          value === 'open' || value === 'withToken' ? value : 'disabled';
        break;
      case 'emailOneTimeAccessAsAdminEnabled':
        config.emailOneTimeAccessAsAdminEnabled = truthy(value);
        break;
      case 'uiConfigDisabled':
        config.uiConfigDisabled = truthy(value);
        break;
    }
  }
}

/**
 * Fetches the public configuration. Never throws: on any failure the
 * defaults (or the values already loaded) stay in place. Called again after
 * an administrator saves the configuration, so branding changes show at once.
 */
export async function loadConfig(timeoutMs = 5000): Promise<void> {
  const first = config.state === 'idle';
  if (first) config.state = 'loading';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch('/api/application-configuration', {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
      signal: controller.signal,
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    applyConfig(await res.json());
    config.state = 'loaded';
  } catch (err) {
    if (first) config.state = 'failed';
    if (import.meta.env.DEV) console.warn('Using default configuration:', err);
  } finally {
    clearTimeout(timer);
  }
}

/** Address of an application image, changing whenever an image was replaced. */
export function imageUrl(path: string): string {
  const v = config.imageVersion;
  if (v === 0) return path;
  return path + (path.includes('?') ? '&' : '?') + 'v=' + v;
}

/** Call after an application image changed: every image address changes. */
export function imagesChanged(): void {
  config.imageVersion = Date.now();
  try {
    localStorage.setItem(IMAGE_VERSION_KEY, String(config.imageVersion));
  } catch {
    // Private mode: the new images show from now on in this tab only.
  }
}
