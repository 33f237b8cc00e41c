import { ProblemError, SessionExpiredError } from './errors.js';
import type { Client } from './gen/client/index.js';
import { issueToken, logout, refreshToken } from './gen/sdk.gen.js';
import type { Problem, TokenPair } from './gen/types.gen.js';
import type { TokenNews, TokenStore } from './tokens.js';

export type SessionExpiredListener = (error: SessionExpiredError) => void;

/**
 * The spec's `DeviceToken`. A stored value that does not match (storage edited by hand or by
 * another app) is not sent: the server would refuse the whole sign-in with 422.
 */
export const DEVICE_TOKEN = /^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}$/;

/**
 * How long a session whose turn to refresh comes after another session rotated the tokens
 * waits for that session's announcement of the new access token before refreshing itself with
 * the new refresh token (still no reuse: one refresh more). The announcement is posted before
 * the other session's turn ends, so it normally arrives within milliseconds.
 */
const HANDOVER_MS = 2_000;

const ENDED_ELSEWHERE =
  'The login ended in another tab sharing it: it logged out, or its refresh was refused.';

/**
 * One login: the access token (memory only), the refresh token (in a TokenStore), and the
 * single-flight refresh that renews them; and the device token, which outlives logins.
 *
 * The server rotates refresh tokens and treats a second use of one as theft, revoking the
 * whole login. So at most one refresh may be in flight: every caller that needs a new access
 * token while one runs waits for that same promise instead of presenting the token again.
 *
 * A sign-in answers a device token, and every later sign-in sends it: with it, the server
 * counts this device's password attempts apart from everyone else's, so failed attempts from
 * elsewhere cannot lock the user out here. Logging out and session expiry keep it.
 *
 * Sessions sharing a store (browser tabs over one IndexedDB database) take turns through the
 * store's `exclusive` for every refresh, login and logout, and hear each other's
 * announcements: a session refreshing after another one rotated the tokens adopts that
 * session's access token instead of presenting a refresh token a second time, and a login
 * that ends in one session ends in every session that held it.
 */
export class Session {
  #accessToken: string | null = null;
  /** The refresh token stored when the access token was obtained: the one a refresh presents. */
  #basis: string | null = null;
  /** The device token, when the store keeps none. */
  #deviceToken: string | null = null;
  #renewal: Promise<string> | null = null;
  /** Whether this session held a login when it last looked: what a logout elsewhere ends. */
  #held = false;
  /** The latest access token another session announced, with its refresh token. */
  #announced: TokenNews | null = null;
  /** Rotations waiting for an announcement (see #handedOver). */
  readonly #waiting = new Set<() => void>();
  readonly #listeners = new Set<SessionExpiredListener>();

  constructor(
    private readonly client: Client,
    private readonly store: TokenStore,
  ) {
    store.subscribe?.((news) => this.#hear(news));
  }

  async login(email: string, password: string): Promise<void> {
    await this.#renewalSettled();
    const device = await this.#device();
    const { data } = await issueToken({
      client: this.client,
      body: {
        grant_type: 'password',
        username: email,
        password,
        ...(device === null ? {} : { device_token: device }),
      },
    });
    await this.#exclusive(async () => {
      await this.#adopt(data);
      this.store.announce?.({ refreshToken: data.refresh_token, accessToken: data.access_token });
    });
  }

  /**
   * Ends the login here first (and in the sessions sharing the store), then revokes it on the
   * server: the user asked to be logged out, so a server that cannot be reached must not keep
   * them logged in on this device.
   */
  async logout(): Promise<void> {
    await this.#renewalSettled();
    const token = await this.#exclusive(async () => {
      const stored = await this.#stored();
      await this.#clear();
      this.store.announce?.({ refreshToken: null });
      return stored;
    });
    if (token === null) {
      return;
    }
    try {
      await logout({ client: this.client, body: { refresh_token: token } });
    } catch (error) {
      // 401: the server no longer knows the token, which is the state logging out wants.
      if (!(error instanceof ProblemError && error.status === 401)) {
        throw error;
      }
    }
  }

  async hasLogin(): Promise<boolean> {
    return this.#accessToken !== null || (await this.#stored()) !== null;
  }

  /**
   * The token for a request that needs one. Without an access token (after a reload, or while
   * a refresh runs) but with a refresh token, it refreshes first rather than send a request
   * bound to fail with 401.
   */
  async accessToken(): Promise<string | undefined> {
    if (this.#accessToken !== null) {
      return this.#accessToken;
    }
    if (this.#renewal !== null || (await this.#stored()) !== null) {
      return this.refresh();
    }
    return undefined;
  }

  /** Whether a 401 may be answered with a refresh. */
  async canRenew(): Promise<boolean> {
    return this.#renewal !== null || (await this.#stored()) !== null;
  }

  /**
   * A replacement for `rejected`, an access token the server answered 401 to. When another
   * request already replaced it, that replacement is reused instead of refreshing again.
   */
  renew(rejected: string): Promise<string> {
    if (this.#accessToken !== null && this.#accessToken !== rejected) {
      return Promise.resolve(this.#accessToken);
    }
    return this.refresh();
  }

  /** Rotates the token pair now, or joins the rotation already under way. */
  refresh(): Promise<string> {
    this.#renewal ??= this.#rotate().finally(() => {
      this.#renewal = null;
    });
    return this.#renewal;
  }

  onExpired(listener: SessionExpiredListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #rotate(): Promise<string> {
    // Whatever access token we hold is now suspect: requests starting meanwhile wait for the
    // new one (see accessToken()) rather than send it.
    this.#accessToken = null;
    const presenting = this.#basis ?? (await this.store.getRefreshToken());
    return this.#exclusive(async () => {
      // Read it now that it is this session's turn: another session may have rotated the
      // tokens since this one got its access token, or ended the login.
      const token = await this.store.getRefreshToken();
      if (token === null) {
        const detail =
          presenting === null ? 'No refresh token is stored: log in first.' : ENDED_ELSEWHERE;
        throw await this.#expire(unauthorized(detail));
      }
      if (token !== presenting) {
        const handed = await this.#handedOver(token);
        if (handed !== undefined) {
          this.#use(token, handed);
          return handed;
        }
      }
      return this.#present(token);
    });
  }

  /** Presents `token` to the refresh endpoint, and keeps and announces the new pair. */
  async #present(token: string): Promise<string> {
    try {
      const { data } = await refreshToken({ client: this.client, body: { refresh_token: token } });
      await this.#adopt(data);
      this.store.announce?.({ refreshToken: data.refresh_token, accessToken: data.access_token });
      return data.access_token;
    } catch (error) {
      // 401: expired, revoked or reused; 422: not even a well-formed token. Neither will ever
      // work again. Anything else (network, 5xx) may pass, so the tokens are kept.
      if (error instanceof ProblemError && error.status === 401) {
        throw await this.#expire(error, error);
      }
      if (error instanceof ProblemError && error.status === 422) {
        throw await this.#expire(unauthorized('The stored refresh token is malformed.'), error);
      }
      throw error;
    }
  }

  async #expire(problem: Problem, cause?: ProblemError): Promise<SessionExpiredError> {
    await this.#clear();
    this.store.announce?.({ refreshToken: null });
    return this.#notifyExpired(problem, cause);
  }

  #notifyExpired(problem: Problem, cause?: ProblemError): SessionExpiredError {
    const expired = new SessionExpiredError(problem, { cause });
    for (const listener of this.#listeners) {
      try {
        listener(expired);
      } catch (error) {
        // A faulty listener must not replace the SessionExpiredError every waiting request
        // receives; rethrown on its own, it still reaches the console / error tracking.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    return expired;
  }

  /**
   * Waits out a refresh under way, whatever its outcome, so that it cannot store its new pair
   * after a login or logout that started later.
   */
  async #renewalSettled(): Promise<void> {
    await this.#renewal?.catch(() => undefined);
  }

  /**
   * What another session sharing the store announced: a new access token, adopted with its
   * refresh token (this session then needs no refresh of its own), or the end of the login,
   * which ends this session's too, with the SessionExpiredError event, if it held one.
   *
   * The news is taken as it comes, without reading the store: the store may not show the
   * write behind it yet (a tab's `localStorage` lags another tab's writes), and announcements
   * are made in turn (`exclusive`), so they arrive in the order the login changed.
   */
  #hear(news: TokenNews): void {
    if (news.refreshToken !== null && news.accessToken !== undefined) {
      this.#announced = news;
      for (const wake of [...this.#waiting]) {
        wake();
      }
    }
    // A rotation of this session's own, under way, settles these cases itself.
    if (this.#renewal !== null) {
      return;
    }
    if (news.refreshToken !== null && news.accessToken !== undefined) {
      this.#use(news.refreshToken, news.accessToken);
    } else if (news.refreshToken === null && this.#held) {
      this.#accessToken = null;
      this.#basis = null;
      this.#held = false;
      this.#notifyExpired(unauthorized(ENDED_ELSEWHERE));
    }
  }

  /**
   * The access token another session announced with the refresh token `token`, which it
   * stored while this session waited its turn: at once if heard already, else when heard,
   * or undefined after HANDOVER_MS (or at once where the store announces nothing).
   */
  #handedOver(token: string): Promise<string | undefined> {
    if (this.store.subscribe === undefined) {
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const done = (accessToken: string | undefined) => {
        clearTimeout(timer);
        this.#waiting.delete(check);
        resolve(accessToken);
      };
      const check = () => {
        if (this.#announced?.refreshToken === token) {
          done(this.#announced.accessToken);
        }
      };
      const timer = setTimeout(() => done(undefined), HANDOVER_MS);
      this.#waiting.add(check);
      check();
    });
  }

  /** Runs `task` in the store's turn for the sessions sharing it, if it has one. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.store.exclusive ? this.store.exclusive(task) : task();
  }

  /** The stored refresh token; seeing one means this session holds a login. */
  async #stored(): Promise<string | null> {
    const token = await this.store.getRefreshToken();
    if (token !== null) {
      this.#held = true;
    }
    return token;
  }

  /** Takes `accessToken`, issued with the stored refresh token `refreshToken`, as this session's. */
  #use(refreshToken: string, accessToken: string): void {
    this.#accessToken = accessToken;
    this.#basis = refreshToken;
    this.#held = true;
  }

  async #adopt(pair: TokenPair): Promise<void> {
    await this.store.setRefreshToken(pair.refresh_token);
    // Sign-ins answer one, refreshes none: a refresh keeps the device token there is.
    if (pair.device_token !== undefined) {
      await this.#keepDevice(pair.device_token);
    }
    this.#use(pair.refresh_token, pair.access_token);
  }

  /** The device token a sign-in sends: the one kept, if the server can accept it. */
  async #device(): Promise<string | null> {
    const token = this.#storeKeepsDevice
      ? ((await this.store.getDeviceToken?.()) ?? null)
      : this.#deviceToken;
    return token !== null && DEVICE_TOKEN.test(token) ? token : null;
  }

  async #keepDevice(token: string): Promise<void> {
    if (this.#storeKeepsDevice) {
      await this.store.setDeviceToken?.(token);
    } else {
      this.#deviceToken = token;
    }
  }

  /** Whether the TokenStore keeps the device token (it has both methods) or this session does. */
  get #storeKeepsDevice(): boolean {
    return this.store.getDeviceToken !== undefined && this.store.setDeviceToken !== undefined;
  }

  async #clear(): Promise<void> {
    this.#accessToken = null;
    this.#basis = null;
    this.#held = false;
    await this.store.setRefreshToken(null);
  }
}

/** A 401 problem for a login that ends without the server saying so. */
function unauthorized(detail: string): Problem {
  return { type: 'about:blank', title: 'Unauthorized', status: 401, detail };
}
