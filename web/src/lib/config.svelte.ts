/** Pocket ID's default application name; Symbolon keeps it as a drop-in default. */
export const DEFAULT_APP_NAME = 'Pocket ID';

interface ConfigEntry {
  key: string;
  type: string;
  value: string;
}

type LoadState = 'idle' | 'loading' | 'loaded' | 'failed';

class AppConfig {
  appName = $state(DEFAULT_APP_NAME);
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
    if (entry.key === 'appName') {
      const name = entry.value.trim();
      config.appName = name || DEFAULT_APP_NAME;
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
