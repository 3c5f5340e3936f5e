import { api, ApiError, onUnauthorized } from './api';
import type { User } from './types';

type SessionState = 'loading' | 'ready';

class Session {
  /** The signed-in user, or null when signed out. */
  user = $state<User | null>(null);
  state = $state<SessionState>('loading');
}

/** Who is signed in, reactive wherever it is read. */
export const session = new Session();

onUnauthorized(() => {
  session.user = null;
});

/**
 * Asks the server who is signed in (GET /api/users/me; 401 means nobody).
 * Never throws: a failure counts as signed out.
 */
export async function loadSession(): Promise<void> {
  try {
    session.user = await api<User>('GET', '/api/users/me', undefined, {
      quietUnauthorized: true,
    });
  } catch (err) {
    session.user = null;
    if (import.meta.env.DEV && !(err instanceof ApiError && err.status === 401)) {
      console.warn('Could not load the session:', err);
    }
  } finally {
    session.state = 'ready';
  }
}

/** Records the user a sign-in answered with. */
export function signedIn(user: User): void {
  session.user = user;
}

export function signedOut(): void {
  session.user = null;
}
