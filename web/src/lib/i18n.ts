import en from './locales/en.json';

export type MessageKey = keyof typeof en;
type Dictionary = Record<MessageKey, string>;

export const DEFAULT_LOCALE = 'en';

// Add a locale by adding its JSON file here; missing keys fall back to English.
const dictionaries: Record<string, Partial<Dictionary>> = {
  en,
};

/** Picks the first supported locale from the browser's preferences. */
export function pickLocale(preferred: readonly string[]): string {
  for (const tag of preferred) {
    if (!tag) continue;
    const lower = tag.toLowerCase();
    const exact = Object.keys(dictionaries).find((l) => l.toLowerCase() === lower);
    if (exact) return exact;
    const base = lower.split('-')[0];
    if (base in dictionaries) return base;
  }
  return DEFAULT_LOCALE;
}

function browserLocales(): string[] {
  if (typeof navigator === 'undefined') return [];
  const list = navigator.languages?.length ? [...navigator.languages] : [];
  if (navigator.language) list.push(navigator.language);
  return list;
}

export const locale: string = pickLocale(browserLocales());

/** Locales the app has text for, as offered in the account settings. */
export const availableLocales: readonly string[] = Object.keys(dictionaries);

/** A locale's name in its own language ("English", "Deutsch"), or its code. */
export function localeName(code: string): string {
  try {
    return new Intl.DisplayNames([code], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** Formats an RFC 3339 timestamp as a date for people, or returns it unchanged. */
export function formatDate(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(date);
}
/** Formats an RFC 3339 timestamp as date and time for people, or returns it unchanged. */
export function formatDateTime(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

const active: Partial<Dictionary> = dictionaries[locale] ?? en;

/**
 * Translates a message key. `{name}` placeholders are replaced by the
 * matching entry in `params`.
 */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const message = active[key] ?? en[key] ?? key;
  return message.replace(/\{(\w+)\}/g, (match, name: string) =>
    name in params ? String(params[name]) : match,
  );
}
