/**
 * Where the login's refresh token, and this device's device token, live between page loads.
 * The access token never goes here: it is short-lived and kept in memory only, so a reload
 * costs one refresh and nothing more.
 *
 * Methods may return promises, for stores backed by asynchronous storage.
 */
export interface TokenStore {
  getRefreshToken(): string | null | Promise<string | null>;
  setRefreshToken(token: string | null): void | Promise<void>;
  /**
   * The device token the last sign-in answered. It outlives logins: logging out and session
   * expiry leave it. Optional: a store without these methods keeps it in memory, for as long
   * as the client lives.
   */
  getDeviceToken?(): string | null | Promise<string | null>;
  setDeviceToken?(token: string | null): void | Promise<void>;
}

/** Keeps both tokens in memory: the session ends with the page (or process). */
export function memoryTokenStore(): TokenStore {
  let refreshToken: string | null = null;
  let deviceToken: string | null = null;
  return {
    getRefreshToken: () => refreshToken,
    setRefreshToken: (token) => {
      refreshToken = token;
    },
    getDeviceToken: () => deviceToken,
    setDeviceToken: (token) => {
      deviceToken = token;
    },
  };
}

export interface WebStorageTokenStoreOptions {
  /** The refresh token's storage key. */
  key?: string;
  /** The device token's storage key. */
  deviceKey?: string;
  /**
   * `localStorage` unless given (`sessionStorage` keeps the login per tab, and the device token
   * only as long as the tab: the next tab signs in as an unknown device).
   */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

/**
 * Keeps the refresh token (`inkwell.refresh_token`) and the device token (`inkwell.device`) in
 * `localStorage`, so a login survives reloads and the browser stays a known device. Anything
 * that runs script on the page (an XSS) can read them; prefer memoryTokenStore() where that
 * matters. Tabs share it: the session reads the refresh token afresh before every refresh, so a
 * token rotated by one tab is what the next refresh in another tab presents.
 */
export function localStorageTokenStore(options: WebStorageTokenStoreOptions = {}): TokenStore {
  // Looked up on use, so creating the store where there is no localStorage (server-side
  // rendering, tests) does not throw.
  const storage = () => options.storage ?? globalThis.localStorage;
  const item = (key: string) => ({
    get: () => storage().getItem(key),
    set: (token: string | null) => {
      if (token === null) {
        storage().removeItem(key);
      } else {
        storage().setItem(key, token);
      }
    },
  });
  const refresh = item(options.key ?? 'inkwell.refresh_token');
  const device = item(options.deviceKey ?? 'inkwell.device');
  return {
    getRefreshToken: refresh.get,
    setRefreshToken: refresh.set,
    getDeviceToken: device.get,
    setDeviceToken: device.set,
  };
}
