/**
 * Where the app sends people depending on whether they are signed in:
 * signed-out users on account pages go to sign-in (and come back afterwards),
 * signed-in users on sign-in and setup pages go to their settings.
 */
import { DEFAULT_HOME_PAGE } from './config.svelte';
import { isLocalPath } from './paths';

/** Pages that only make sense before signing in. */
function signedOutOnly(path: string): boolean {
  if (path === '/login/alternative/code') return false; // also used to switch accounts
  return (
    path === '/login' ||
    path.startsWith('/login/') ||
    path === '/signup' ||
    path === '/signup/setup' ||
    path === '/setup' ||
    path === '/lc' ||
    path.startsWith('/st/')
  );
}

/** Pages that need a session. */
function needsSession(path: string): boolean {
  return (
    path === '/settings' ||
    path.startsWith('/settings/') ||
    path === '/signup/add-passkey' ||
    path === '/logout'
  );
}

/** Pages only administrators may see. */
export function adminOnly(path: string): boolean {
  return (
    path === '/settings/admin' ||
    path.startsWith('/settings/admin/') ||
    path === '/settings/audit-log/global'
  );
}

/**
 * The address to go to instead of `path` (with its query `search`), or null
 * to stay. `homePageUrl` is the configured landing page for /settings;
 * non-administrators never stay on administration pages.
 */
export function guardRedirect(
  path: string,
  search: string,
  signedIn: boolean,
  homePageUrl: string,
  isAdmin = false,
): string | null {
  if (!signedIn && needsSession(path)) {
    if (path === '/logout') return '/login';
    return '/login?redirect=' + encodeURIComponent(path + search);
  }
  if (signedIn && signedOutOnly(path)) return '/settings';
  if (signedIn && !isAdmin && adminOnly(path)) return '/settings';
  if (path === '/settings') {
    const home = isLocalPath(homePageUrl) ? homePageUrl : DEFAULT_HOME_PAGE;
    const homePath = home.split(/[?#]/)[0].replace(/\/+$/, '');
    if (homePath === '/settings' || homePath === '') return DEFAULT_HOME_PAGE;
    return !isAdmin && adminOnly(homePath) ? DEFAULT_HOME_PAGE : home;
  }
  return null;
}
