/**
 * Where the refresh token lives between page loads. The access token never goes here: it is
 * short-lived and kept in memory only, so a reload costs one refresh and nothing more.
 *
 * Methods may return promises, for stores backed by asynchronous storage.
 */
export interface TokenStore {
  getRefreshToken(): string | null | Promise<string | null>;
  setRefreshToken(token: string | null): void | Promise<void>;
}

/** Keeps the refresh token in memory: the session ends with the page (or process). */
export function memoryTokenStore(): TokenStore {
  let refreshToken: string | null = null;
  return {
    getRefreshToken: () => refreshToken,
    setRefreshToken: (token) => {
      refreshToken = token;
    },
  };
}

export interface WebStorageTokenStoreOptions {
  /** The storage key. */
  key?: string;
  /** `localStorage` unless given (`sessionStorage` keeps the login per tab). */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

/**
 * Keeps the refresh token in `localStorage`, so a login survives reloads. Anything that runs
 * script on the page (an XSS) can read it; prefer memoryTokenStore() where that matters.
 * Tabs share it: the session reads it afresh before every refresh, so a token rotated by one
 * tab is what the next refresh in another tab presents.
 */
export function localStorageTokenStore(options: WebStorageTokenStoreOptions = {}): TokenStore {
  const key = options.key ?? 'inkwell.refresh_token';
  // Looked up on use, so creating the store where there is no localStorage (server-side
  // rendering, tests) does not throw.
  const storage = () => options.storage ?? globalThis.localStorage;
  return {
    getRefreshToken: () => storage().getItem(key),
    setRefreshToken: (token) => {
      if (token === null) {
        storage().removeItem(key);
      } else {
        storage().setItem(key, token);
      }
    },
  };
}
