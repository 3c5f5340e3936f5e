import { isLocalPath } from './paths';

/** Pocket ID's default application name; Symbolon keeps it as a drop-in default. */
export const DEFAULT_APP_NAME = 'Pocket ID';

interface ConfigEntry {
  key: string;
  type: string;
  value: string;
}

type LoadState = 'idle' | 'loading' | 'loaded' | 'failed';

/** Pocket ID's default landing page after sign-in. */
export const DEFAULT_HOME_PAGE = '/settings/account';

class AppConfig {
  appName = $state(DEFAULT_APP_NAME);
  homePageUrl = $state(DEFAULT_HOME_PAGE);
  allowOwnAccountEdit = $state(true);
  requireUserEmail = $state(true);
  state = $state<LoadState>('idle');
}

/** Public application configuration, reactive wherever it is read. */
export const config = new AppConfig();

function isEntry(v: unknown): v is ConfigEntry {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.key === 'string' && typeof o.value === 'string';
}

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
    }
  }
}

/**
 * Fetches the public configuration. Never throws: on any failure the
 * defaults stay in place.
 */
export async function loadConfig(timeoutMs = 5000): Promise<void> {
  config.state = 'loading';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch('/api/application-configuration', {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      signal: controller.signal,
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    applyConfig(await res.json());
    config.state = 'loaded';
  } catch (err) {
    config.state = 'failed';
    if (import.meta.env.DEV) console.warn('Using default configuration:', err);
  } finally {
    clearTimeout(timer);
  }
}
