/** Dates typed into <input type="date"> and sent as RFC 3339. */

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** "YYYY-MM-DD" of a local date `days` from today. */
export function dateInputValue(days: number, from = new Date()): string {
  const d = new Date(from.getFullYear(), from.getMonth(), from.getDate() + days);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * The end of a local day given as "YYYY-MM-DD", as RFC 3339 UTC without
 * fractions ("2026-12-24T22:59:59Z"), or null when the text is not a date.
 */
export function endOfDay(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59);
  if (Number.isNaN(d.getTime()) || d.getDate() !== Number(m[3])) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** True when an RFC 3339 time has passed. */
export function isPast(value: string | null | undefined, now = Date.now()): boolean {
  if (!value) return false;
  const time = new Date(value).getTime();
  return !Number.isNaN(time) && time <= now;
}
