/**
 * Where the login's refresh token, and this device's device token, live between page loads.
 * The access token never goes here: it is short-lived and kept in memory only, so a reload
 * costs one refresh and nothing more.
 *
 * Methods may return promises, for stores backed by asynchronous storage.
 *
 * A store that several sessions share (browser tabs over one IndexedDB database) may also let
 * them take turns (`exclusive`) and tell each other what they stored (`announce`, `subscribe`);
 * a store without these methods is one session's alone.
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
   * login, a logout. A read in a turn must see what every earlier turn wrote, in whichever
   * session: the refresh token read there is the one presented, and presenting a rotated one
   * revokes the login. Optional: without it, a session takes turns with itself only (one
   * refresh in flight per session).
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
