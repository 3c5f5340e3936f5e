import { writable, type Readable } from 'svelte/store';

export type RouteName = 'login' | 'notFound';

export interface Route {
  name: RouteName;
  path: string;
}

const routes: Record<string, RouteName> = {
  '/login': 'login',
};

const redirects: Record<string, string> = {
  '/': '/login',
};

function normalisePath(pathname: string): string {
  const trimmed = pathname.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** Maps a path to a route; unknown paths resolve to the not-found page. */
export function matchRoute(pathname: string): Route {
  const path = normalisePath(pathname);
  return { name: routes[path] ?? 'notFound', path };
}

const current = writable<Route>(matchRoute(location.pathname));

/** The active route, as a Svelte store (`$route` in components). */
export const route: Readable<Route> = { subscribe: current.subscribe };

function sync(): void {
  const path = normalisePath(location.pathname);
  const target = redirects[path];
  if (target !== undefined) {
    history.replaceState(history.state, '', target + location.search + location.hash);
  }
  const next = matchRoute(location.pathname);
  current.update((prev) => (prev.path === next.path && prev.name === next.name ? prev : next));
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
