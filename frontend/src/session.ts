import type { Tokens, User } from './types.js';

/** Who is signed in, kept in localStorage so a reload (or a second tab) stays signed in. */
export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

const STORAGE_KEY = 'foodflow.session';
const listeners = new Set<(session: Session | null) => void>();

function read(): Session | null {
  const raw = localStorage.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    localStorage.removeItem(STORAGE_KEY);
    return null;
  }
}

let current = read();

function publish(next: Session | null): void {
  current = next;
  if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else localStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener(next);
}

export const session = {
  get: (): Session | null => current,
  start: (user: User, tokens: Tokens): void =>
    publish({ user, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }),
  renew: (tokens: Tokens): void => {
    if (current) publish({ ...current, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken });
  },
  end: (): void => publish(null),
  onChange: (listener: (session: Session | null) => void): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab signed in, refreshed or signed out: follow it rather than spend a stale refresh token.
window.addEventListener('storage', (event) => {
  if (event.key === STORAGE_KEY) publish(read());
});
