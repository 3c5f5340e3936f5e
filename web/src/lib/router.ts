import { writable, type Readable } from 'svelte/store';

export type RouteName =
  | 'login'
  | 'loginAlternative'
  | 'loginCode'
  | 'setup'
  | 'signup'
  | 'addPasskey'
  | 'account'
  | 'auditLog'
  | 'auditLogGlobal'
  | 'adminUsers'
  | 'adminUser'
  | 'adminGroups'
  | 'adminGroup'
  | 'adminApiKeys'
  | 'adminConfig'
  | 'adminOidcClients'
  | 'adminOidcClient'
  | 'myApps'
  | 'interaction'
  | 'interactionError'
  | 'logout'
  | 'notFound';

export interface Route {
  name: RouteName;
  path: string;
  /** The query string, with its leading "?" (or empty). */
  search: string;
  /** Values of the path's placeholders (":id"), decoded. */
  params: Record<string, string>;
}

const routes: Record<string, RouteName> = {
  '/login': 'login',
  '/login/alternative': 'loginAlternative',
  '/login/alternative/code': 'loginCode',
  '/signup': 'signup',
  '/signup/setup': 'setup',
  '/signup/add-passkey': 'addPasskey',
  '/settings/account': 'account',
  '/settings/audit-log': 'auditLog',
  '/settings/audit-log/global': 'auditLogGlobal',
  '/settings/admin/users': 'adminUsers',
  '/settings/admin/user-groups': 'adminGroups',
  '/settings/admin/api-keys': 'adminApiKeys',
  '/settings/admin/application-configuration': 'adminConfig',
  '/settings/admin/oidc-clients': 'adminOidcClients',
  '/settings/apps': 'myApps',
  '/interaction': 'interaction',
  '/interaction/error': 'interactionError',
  '/logout': 'logout',
};

/** Routes with one placeholder segment, tried after the fixed ones. */
const paramRoutes: { pattern: RegExp; name: RouteName; param: string }[] = [
  { pattern: /^\/settings\/admin\/users\/([^/]+)$/, name: 'adminUser', param: 'id' },
  { pattern: /^\/settings\/admin\/user-groups\/([^/]+)$/, name: 'adminGroup', param: 'id' },
  { pattern: /^\/settings\/admin\/oidc-clients\/([^/]+)$/, name: 'adminOidcClient', param: 'id' },
];

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function normalisePath(pathname: string): string {
  const trimmed = pathname.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** Adds `extra` query parameters to a query string (values in `extra` win). */
function withParams(search: string, extra: Record<string, string>): string {
  const params = new URLSearchParams(search);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * Fixed aliases: returns the path and query the browser should show instead,
 * or null. (Redirects that depend on the session live in guard.ts.)
 */
export function aliasFor(path: string, search: string): string | null {
  if (path === '/') return '/login' + search;
  if (path === '/setup') return '/signup/setup' + search;
  if (path === '/lc') return '/login/alternative/code' + search;
  const st = /^\/st\/([^/]+)$/.exec(path);
  if (st) return '/signup' + withParams(search, { token: decodeSegment(st[1]) });
  const lc = /^\/lc\/([^/]+)$/.exec(path);
  if (lc) {
    return '/login/alternative/code' + withParams(search, { code: decodeSegment(lc[1]) });
  }
  return null;
}

/** Maps a path to a route; unknown paths resolve to the not-found page. */
export function matchRoute(pathname: string, search = ''): Route {
  const path = normalisePath(pathname);
  const fixed = routes[path];
  if (fixed) return { name: fixed, path, search, params: {} };
  for (const r of paramRoutes) {
    const m = r.pattern.exec(path);
    if (m) return { name: r.name, path, search, params: { [r.param]: decodeSegment(m[1]) } };
  }
  return { name: 'notFound', path, search, params: {} };
}

const current = writable<Route>(matchRoute(location.pathname, location.search));

/** The active route, as a Svelte store (`$route` in components). */
export const route: Readable<Route> = { subscribe: current.subscribe };

function sync(): void {
  const alias = aliasFor(normalisePath(location.pathname), location.search);
  if (alias !== null) {
    history.replaceState(history.state, '', alias + location.hash);
  }
  const next = matchRoute(location.pathname, location.search);
  current.update((prev) =>
    prev.path === next.path && prev.name === next.name && prev.search === next.search
      ? prev
      : next,
  );
}

/**
 * Navigates without reloading the page. URLs on another origin fall back to
 * a normal browser navigation.
 */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = new URL(to, location.href);
  if (url.origin !== location.origin) {
    location.assign(url.href);
    return;
  }
  const target = url.pathname + url.search + url.hash;
  if (options.replace) {
    history.replaceState(null, '', target);
  } else if (target !== location.pathname + location.search + location.hash) {
    history.pushState(null, '', target);
  }
  sync();
  if (!url.hash) window.scrollTo(0, 0);
}

/** Starts listening to history changes; returns a function that stops it. */
export function startRouter(): () => void {
  window.addEventListener('popstate', sync);
  sync();
  return () => window.removeEventListener('popstate', sync);
}
