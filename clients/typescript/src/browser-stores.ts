import { createStore, del, get, set } from 'idb-keyval';

import { tabSharing } from './tab-sharing.js';
import type { TokenLocks, TokenStore } from './tokens.js';

export interface IndexedDbTokenStoreOptions {
  /** The IndexedDB database's name; it also names the tabs' lock and channel. */
  database?: string;
  /**
   * The locks the tabs take turns with: the browser's Web Locks API (`navigator.locks`) unless
   * given, e.g. by a test in Node, which has none.
   */
  locks?: TokenLocks;
}

/**
 * Keeps the refresh token and the device token in IndexedDB (database `inkwell`, object store
 * `tokens`), so a login survives reloads and the browser stays a known device; the store for
 * an app that may be open in several tabs. Anything that runs script on the page (an XSS) can
 * read them; prefer memoryTokenStore() where that matters.
 *
 * Tabs share it, and one login: the server revokes a login whose refresh token is presented
 * twice, so the tabs refresh one at a time, under a Web Lock named after the database, and
 * each announces what it stored on a `BroadcastChannel` of the same name. A tab whose turn
 * comes after another tab rotated the tokens takes the new access token from that
 * announcement instead of refreshing again; a logout or an expiry in one tab ends the login in
 * all of them.
 *
 * Why IndexedDB: a tab's turn must read what the previous turn wrote in another tab. A write
 * here is committed before the writer's turn ends, and every read is a transaction against
 * the committed data, so it does. `localStorage` gives no such promise: Chromium serves each
 * tab's reads from a copy that another tab's writes reach later, and in the two-tab browser
 * test a tab read the previous refresh token after it had heard of the new one.
 *
 * The database is opened on first use, so the store can be created where there is no
 * IndexedDB (server-side rendering); using it there rejects.
 */
export function indexedDbTokenStore(options: IndexedDbTokenStoreOptions = {}): TokenStore {
  const database = options.database ?? 'inkwell';
  let opened: ReturnType<typeof createStore> | undefined;
  const tokens = () => (opened ??= createStore(database, 'tokens'));
  const item = (key: string) => ({
    get: async () => (await get<string>(key, tokens())) ?? null,
    set: (token: string | null) =>
      token === null ? del(key, tokens()) : set(key, token, tokens()),
  });
  const refresh = item('refresh_token');
  const device = item('device');
  return {
    getRefreshToken: refresh.get,
    setRefreshToken: refresh.set,
    getDeviceToken: device.get,
    setDeviceToken: device.set,
    ...tabSharing(`@inkwell/client idb:${database}`, options.locks),
  };
}

export interface WebStorageTokenStoreOptions {
  /** The refresh token's storage key; it also names the tabs' lock and channel. */
  key?: string;
  /** The device token's storage key. */
  deviceKey?: string;
  /**
   * `localStorage` unless given (`sessionStorage` keeps the login per tab, and the device token
   * only as long as the tab: the next tab signs in as an unknown device).
   */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  /**
   * The locks the tabs take turns with: the browser's Web Locks API (`navigator.locks`) unless
   * given, e.g. by a test in Node, which has none.
   */
  locks?: TokenLocks;
}

/**
 * Keeps the refresh token (`inkwell.refresh_token`) and the device token (`inkwell.device`) in
 * `localStorage` (or the `storage` given), so a login survives reloads. Anything that runs
 * script on the page (an XSS) can read them; prefer memoryTokenStore() where that matters.
 *
 * For an app used in one tab at a time. Tabs take turns and hear each other as with
 * indexedDbTokenStore(), but a tab's `localStorage` may not yet show a write another tab made
 * a moment ago (see indexedDbTokenStore): two tabs refreshing in the same instant can then
 * present one refresh token twice, and the server ends the login in both. Use
 * indexedDbTokenStore() where tabs share a login.
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
  const key = options.key ?? 'inkwell.refresh_token';
  const refresh = item(key);
  const device = item(options.deviceKey ?? 'inkwell.device');
  return {
    getRefreshToken: refresh.get,
    setRefreshToken: refresh.set,
    getDeviceToken: device.get,
    setDeviceToken: device.set,
    // Scoped to the key: stores of other logins (another key) neither wait for nor hear this one.
    ...tabSharing(`@inkwell/client ${key}`, options.locks),
  };
}
