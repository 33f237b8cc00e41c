// Browser tabs sharing one login, played in Node: two clients over one storage, each with its
// own store object (as each tab has), a lock manager standing in for the browser's Web Locks
// and Node's BroadcastChannel, against the live server, whose refresh-token reuse detection
// would end the login if a refresh token were presented twice.
import 'fake-indexeddb/auto';

import { randomUUID } from 'node:crypto';

import {
  createInkwellClient,
  getCurrentUser,
  indexedDbTokenStore,
  localStorageTokenStore,
  SessionExpiredError,
  type TokenLocks,
  type TokenStore,
} from '@inkwell/client';
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { baseUrl, expiringFetch, PASSWORD, register } from './support.js';

const REFRESH = '/api/v1/auth/refresh';
const ME = '/api/v1/users/me';

/** The part of the Web Storage API the store uses, over a Map: one browser's localStorage. */
function fakeStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

/**
 * One browser's localStorage as Chromium serves it: each tab reads its own copy, which another
 * tab's writes reach `lagMs` later (on their own path, apart from BroadcastChannel messages).
 */
function laggingStorage(lagMs: number) {
  const copies: Map<string, string>[] = [];
  return () => {
    const own = new Map<string, string>();
    copies.push(own);
    const write = (change: (copy: Map<string, string>) => void) => {
      change(own);
      for (const copy of copies.filter((c) => c !== own)) {
        setTimeout(() => change(copy), lagMs);
      }
    };
    return {
      getItem: (key: string) => own.get(key) ?? null,
      setItem: (key: string, value: string) => write((copy) => copy.set(key, value)),
      removeItem: (key: string) => write((copy) => copy.delete(key)),
    };
  };
}

/** Web Locks' exclusive mode in one process: tasks under one name run one after another. */
function processLocks(): TokenLocks & { requests: string[] } {
  const tails = new Map<string, Promise<unknown>>();
  const requests: string[] = [];
  return {
    requests,
    request<T>(name: string, task: () => Promise<T>): Promise<T> {
      requests.push(name);
      const run = (tails.get(name) ?? Promise.resolve()).then(task);
      tails.set(
        name,
        run.catch(() => undefined),
      );
      return run;
    },
  };
}

/** The requests of both tabs, tagged, held once answered until each tab has had its 401. */
function bothRejectedTogether(wire: ReturnType<typeof expiringFetch>, tabs: number) {
  let rejected = 0;
  let release = () => {};
  const together = new Promise<void>((resolve) => (release = resolve));
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const headers = input instanceof Request ? input.headers : new Headers(init?.headers);
    const tagged = headers.get('X-Request-ID') === 'together';
    const response = await wire.fetch(input, init);
    if (tagged && response.status === 401) {
      rejected += 1;
      if (rejected === tabs) {
        release();
      }
      await together;
    }
    return response;
  };
  return fetch;
}

let email = '';

beforeAll(async () => {
  email = await register('Tabs');
});

/** A store per tab over one browser's storage, and the name of the lock they take turns under. */
interface SharedStorage {
  tab(locks: TokenLocks): TokenStore;
  lock: string;
}

// Each call its own database or key, so its own lock and channel: tests do not hear each other.
const STORES = [
  {
    name: 'indexedDbTokenStore',
    shared: (): SharedStorage => {
      const database = `tabs-${randomUUID()}`;
      return {
        tab: (locks) => indexedDbTokenStore({ database, locks }),
        lock: `@inkwell/client idb:${database}`,
      };
    },
  },
  {
    name: 'localStorageTokenStore',
    shared: (): SharedStorage => {
      const storage = fakeStorage();
      const key = `tabs-${randomUUID()}`;
      return {
        tab: (locks) => localStorageTokenStore({ storage, key, locks }),
        lock: `@inkwell/client ${key}`,
      };
    },
  },
];

describe.each(STORES)('tabs sharing a $name', ({ shared }) => {
  /** Two tabs of one browser: one storage and one lock manager; a store object each. */
  function twoTabs(fetch: typeof globalThis.fetch, locks: TokenLocks = processLocks()) {
    const storage = shared();
    const tab = () => {
      const tokenStore = storage.tab(locks);
      const onSessionExpired = vi.fn();
      const inkwell = createInkwellClient({
        baseUrl: baseUrl(),
        tokenStore,
        fetch,
        onSessionExpired,
      });
      return { inkwell, tokenStore, onSessionExpired };
    };
    return { first: tab(), second: tab(), lock: storage.lock };
  }

  it('present the refresh token once when both access tokens expire together, and both keep the login', async () => {
    const wire = expiringFetch();
    const locks = processLocks();
    const { first, second, lock } = twoTabs(bothRejectedTogether(wire, 2), locks);
    await first.inkwell.login(email, PASSWORD);
    await getCurrentUser({ client: first.inkwell.client });
    await getCurrentUser({ client: second.inkwell.client });
    wire.expireAll();
    const before = wire.count(REFRESH);
    const stored = await first.tokenStore.getRefreshToken();

    // Each tab's request is answered 401, and neither goes on before the other has its 401:
    // both need a new access token at once.
    const results = await Promise.all(
      [first, second].map(({ inkwell }) =>
        getCurrentUser({ client: inkwell.client, headers: { 'X-Request-ID': 'together' } }),
      ),
    );

    expect(results.map(({ data }) => data.email)).toEqual([email, email]);
    expect(wire.count(REFRESH) - before).toBe(1);
    const rotated = await first.tokenStore.getRefreshToken();
    expect(rotated).not.toBeNull();
    expect(rotated).not.toBe(stored);
    expect(await second.tokenStore.getRefreshToken()).toBe(rotated);
    // The second tab took the first one's new access token rather than refreshing.
    const retried = wire.calls.filter((c) => c.path === ME && c.status === 200).slice(-2);
    expect(retried[0]?.authorization).toBe(retried[1]?.authorization);
    // The login was not revoked: the rotated token still refreshes, and both tabs still work.
    await second.inkwell.refresh();
    for (const { inkwell } of [first, second]) {
      await expect(getCurrentUser({ client: inkwell.client })).resolves.toMatchObject({
        response: { status: 200 },
      });
    }
    expect(first.onSessionExpired).not.toHaveBeenCalled();
    expect(second.onSessionExpired).not.toHaveBeenCalled();
    expect(wire.calls.filter((call) => call.path === REFRESH).every((c) => c.status === 200)).toBe(
      true,
    );
    // Every turn (the login, the refreshes) was taken under the store's lock.
    expect(new Set(locks.requests)).toEqual(new Set([lock]));
  });

  it('a logout in one tab ends the login in the other, which says so and sends no refresh', async () => {
    const wire = expiringFetch();
    const { first, second } = twoTabs(wire.fetch);
    await first.inkwell.login(email, PASSWORD);
    await getCurrentUser({ client: second.inkwell.client });
    expect(await second.inkwell.hasLogin()).toBe(true);
    const refreshes = wire.count(REFRESH);

    await first.inkwell.logout();

    await vi.waitFor(() => expect(second.onSessionExpired).toHaveBeenCalledTimes(1));
    const [expired] = second.onSessionExpired.mock.calls[0] as [SessionExpiredError];
    expect(expired).toBeInstanceOf(SessionExpiredError);
    expect(expired.detail).toMatch(/another tab/);
    expect(first.onSessionExpired).not.toHaveBeenCalled();
    expect(await second.inkwell.hasLogin()).toBe(false);
    // Nothing left to present: the next request goes out without a token, and no refresh.
    const after = await getCurrentUser({ client: second.inkwell.client }).catch((e: unknown) => e);
    expect(after).toMatchObject({ status: 401 });
    expect(after).not.toBeInstanceOf(SessionExpiredError);
    expect(wire.count(REFRESH)).toBe(refreshes);
  });

  it('two tabs asked to refresh at once take turns, and only one presents the token', async () => {
    const locks = processLocks();
    const wire = expiringFetch();
    const { first, second } = twoTabs(wire.fetch, locks);
    await first.inkwell.login(email, PASSWORD);
    await getCurrentUser({ client: second.inkwell.client });
    const before = wire.count(REFRESH);
    const turns = locks.requests.length;

    const rotations = [first.inkwell.refresh(), second.inkwell.refresh()];
    await Promise.all(rotations);

    expect(locks.requests.length - turns).toBe(2);
    expect(wire.count(REFRESH) - before).toBe(1);
    await expect(getCurrentUser({ client: second.inkwell.client })).resolves.toMatchObject({
      response: { status: 200 },
    });
  });
});

describe("tabs whose localStorage shows the other tab's writes late", () => {
  // What Chromium does: a tab hears another tab's announcement before its own localStorage
  // shows the write behind it. The news alone must be enough.
  const LAG_MS = 1_000;
  function twoLaggingTabs(fetch: typeof globalThis.fetch) {
    const storage = laggingStorage(LAG_MS);
    const key = `lag-${randomUUID()}`;
    const locks = processLocks();
    const tab = () => {
      const onSessionExpired = vi.fn();
      const tokenStore = localStorageTokenStore({ storage: storage(), key, locks });
      const inkwell = createInkwellClient({
        baseUrl: baseUrl(),
        tokenStore,
        fetch,
        onSessionExpired,
      });
      return { inkwell, onSessionExpired };
    };
    return { first: tab(), second: tab() };
  }

  it('a tab takes the login another tab announced, before its storage shows it', async () => {
    const wire = expiringFetch();
    const { first, second } = twoLaggingTabs(wire.fetch);

    await first.inkwell.login(email, PASSWORD);
    await vi.waitFor(async () => expect(await second.inkwell.hasLogin()).toBe(true));

    const refreshes = wire.count(REFRESH);
    const { data } = await getCurrentUser({ client: second.inkwell.client });
    expect(data.email).toBe(email);
    expect(wire.count(REFRESH)).toBe(refreshes);
  });

  it('a logout in one tab ends the other, whose storage still shows the login', async () => {
    const wire = expiringFetch();
    const { first, second } = twoLaggingTabs(wire.fetch);
    await first.inkwell.login(email, PASSWORD);
    await vi.waitFor(async () => expect(await second.inkwell.hasLogin()).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, LAG_MS * 1.5)); // both storages show it

    await first.inkwell.logout();

    await vi.waitFor(() => expect(second.onSessionExpired).toHaveBeenCalledTimes(1));
  });
});

describe('sessions sharing a store that announces nothing', () => {
  it('the later one presents the rotated refresh token, never the used one', async () => {
    // A store shared through a lock only (another process, a custom TokenStore): the second
    // session cannot be handed the new access token, so it refreshes with the new token.
    const locks = processLocks();
    let refreshToken: string | null = null;
    const shared = (): TokenStore => ({
      getRefreshToken: () => refreshToken,
      setRefreshToken: (token) => {
        refreshToken = token;
      },
      exclusive: (task) => locks.request('shared', task),
    });
    const wire = expiringFetch();
    const fetch = bothRejectedTogether(wire, 2);
    const first = createInkwellClient({ baseUrl: baseUrl(), tokenStore: shared(), fetch });
    const second = createInkwellClient({ baseUrl: baseUrl(), tokenStore: shared(), fetch });
    await first.login(email, PASSWORD);
    await getCurrentUser({ client: first.client });
    await getCurrentUser({ client: second.client }); // its first refresh, after the login
    wire.expireAll();
    const before = wire.count(REFRESH);

    const results = await Promise.all(
      [first, second].map(({ client }) =>
        getCurrentUser({ client, headers: { 'X-Request-ID': 'together' } }),
      ),
    );

    expect(results.map(({ response }) => response.status)).toEqual([200, 200]);
    const refreshes = wire.calls.filter((call) => call.path === REFRESH).slice(before);
    expect(refreshes.map((call) => call.status)).toEqual([200, 200]);
    await expect(first.refresh()).resolves.toBeUndefined(); // the login is intact
  });
});
