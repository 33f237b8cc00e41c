/**
 * Where the login's refresh token, and this device's device token, live between page loads.
 * The access token never goes here: it is short-lived and kept in memory only, so a reload
 * costs one refresh and nothing more.
 *
 * Methods may return promises, for stores backed by asynchronous storage.
 *
 * A store that several sessions share (browser tabs over one `localStorage`) may also let them
 * take turns (`exclusive`) and tell each other what they stored (`announce`, `subscribe`); a
 * store without these methods is one session's alone.
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
  /**
   * Runs `task` while no other session sharing this store runs one: a refresh, storing a
   * login, a logout. Optional: without it, a session takes turns with itself only (one refresh
   * in flight per session).
   */
  exclusive?<T>(task: () => Promise<T>): Promise<T>;
  /** Tells the other sessions sharing this store what this one just stored. Optional. */
  announce?(news: TokenNews): void;
  /**
   * Calls `listener` with what the sessions sharing this store announce (this one's own news
   * included); returns the unsubscribe function. Optional.
   */
  subscribe?(listener: (news: TokenNews) => void): () => void;
}

/** What a session announces to the others sharing its store after changing the login. */
export interface TokenNews {
  /** The refresh token now stored; `null` once the login has ended (logout, expiry). */
  refreshToken: string | null;
  /** The access token issued with it: the others use it instead of refreshing themselves. */
  accessToken?: string;
}

/**
 * What `exclusive` needs of the Web Locks API: run `task` once the lock named `name` is held,
 * release it when the task settles, and answer what the task answered.
 */
export interface TokenLocks {
  request<T>(name: string, task: () => Promise<T>): Promise<T>;
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
 * `localStorage`, so a login survives reloads and the browser stays a known device. Anything
 * that runs script on the page (an XSS) can read them; prefer memoryTokenStore() where that
 * matters.
 *
 * Tabs share it, and one login: the server revokes a login whose refresh token is presented
 * twice, so the tabs refresh one at a time, under a Web Lock named after the key, and each
 * announces what it stored on a `BroadcastChannel` of the same name. A tab whose turn comes
 * after another tab rotated the tokens takes the new access token from that announcement
 * instead of refreshing again; a logout or an expiry in one tab ends the login in all of them.
 * Without Web Locks (insecure origins, old browsers) or BroadcastChannel, each session still
 * refreshes once at a time and reads the refresh token afresh before each refresh.
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
  // Scoped to the key: stores of other logins (another key) neither wait for nor hear this one.
  const name = `@inkwell/client ${key}`;
  const news = newsChannel(name);
  return {
    getRefreshToken: refresh.get,
    setRefreshToken: refresh.set,
    getDeviceToken: device.get,
    setDeviceToken: device.set,
    exclusive: (task) => {
      const locks = options.locks ?? webLocks();
      return locks === null ? task() : locks.request(name, task);
    },
    announce: news.announce,
    subscribe: news.subscribe,
  };
}

/** The browser's Web Locks API, where there is one (secure contexts of current browsers). */
function webLocks(): TokenLocks | null {
  const manager = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (manager === undefined) {
    return null;
  }
  return {
    request: <T>(name: string, task: () => Promise<T>) =>
      manager.request(name, () => task()) as Promise<T>,
  };
}

/**
 * Announcements to the other sessions of a store: those in other tabs through a
 * BroadcastChannel (opened on first use, where there is one), those sharing the same store
 * object directly, since a channel does not hear its own messages.
 */
function newsChannel(name: string) {
  const listeners = new Set<(news: TokenNews) => void>();
  const hear = (news: TokenNews) => {
    for (const listener of [...listeners]) {
      listener(news);
    }
  };
  let channel: BroadcastChannel | null | undefined;
  const open = (): BroadcastChannel | null => {
    if (channel === undefined) {
      channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : null;
      if (channel !== null) {
        // Anything on the origin may post here: only well-formed news is passed on.
        channel.onmessage = (event: MessageEvent<unknown>) => {
          if (isNews(event.data)) {
            hear({ refreshToken: event.data.refreshToken, accessToken: event.data.accessToken });
          }
        };
        // Node: an open channel would keep the process alive.
        (channel as { unref?: () => void }).unref?.();
      }
    }
    return channel;
  };
  return {
    announce: (news: TokenNews) => {
      open()?.postMessage(news);
      hear(news);
    },
    subscribe: (listener: (news: TokenNews) => void) => {
      open();
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

function isNews(data: unknown): data is TokenNews {
  if (typeof data !== 'object' || data === null) {
    return false;
  }
  const { refreshToken, accessToken } = data as Record<string, unknown>;
  return (
    (refreshToken === null || typeof refreshToken === 'string') &&
    (accessToken === undefined || typeof accessToken === 'string')
  );
}
