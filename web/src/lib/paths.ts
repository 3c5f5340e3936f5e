/**
 * True for a path on this site: it starts with a single "/" (not "//" or "/\\",
 * which browsers read as another host) and contains no control characters.
 */
export function isLocalPath(path: string | null | undefined): path is string {
  if (!path || path[0] !== '/' || path[1] === '/' || path[1] === '\\') return false;
  if (/[\u0000-\u001f\u007f]/.test(path)) return false;
  try {
    return new URL(path, location.origin).origin === location.origin;
  } catch {
    return false;
  }
}

/**
 * The `redirect` query parameter of the current page when it is a path on this
 * site, else `fallback`. Anything else (other hosts, schemes, "//evil") is ignored.
 */
export function redirectTarget(fallback: string, search: string = location.search): string {
  const target = new URLSearchParams(search).get('redirect');
  return isLocalPath(target) ? target : fallback;
}
