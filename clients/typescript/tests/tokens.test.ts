import 'fake-indexeddb/auto';

import { randomUUID } from 'node:crypto';

import {
  indexedDbTokenStore,
  localStorageTokenStore,
  memoryTokenStore,
  type TokenNews,
} from '@inkwell/client';
import { describe, expect, it, vi } from 'vitest';

/** The part of the Web Storage API the store uses, over a Map. */
function fakeStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

/** Locks that run each task at once, recording the names it was asked for. */
function recordingLocks() {
  const names: string[] = [];
  const locks = {
    request: <T>(name: string, task: () => Promise<T>) => {
      names.push(name);
      return task();
    },
  };
  return { names, locks };
}

describe('token stores', () => {
  it('memoryTokenStore keeps the token until it is cleared', () => {
    const store = memoryTokenStore();
    expect(store.getRefreshToken()).toBeNull();
    store.setRefreshToken('r1');
    expect(store.getRefreshToken()).toBe('r1');
    store.setRefreshToken(null);
    expect(store.getRefreshToken()).toBeNull();
  });

  it('localStorageTokenStore writes through to the storage, under its key', () => {
    const storage = fakeStorage();
    const store = localStorageTokenStore({ storage, key: 'app.refresh' });

    store.setRefreshToken('r1');
    expect(storage.items).toEqual(new Map([['app.refresh', 'r1']]));
    // Another tab (another store over the same storage) sees the rotated token.
    expect(localStorageTokenStore({ storage, key: 'app.refresh' }).getRefreshToken()).toBe('r1');

    store.setRefreshToken(null);
    expect(storage.items.size).toBe(0);
    expect(store.getRefreshToken()).toBeNull();
  });

  it('memoryTokenStore keeps the device token apart from the refresh token', () => {
    const store = memoryTokenStore();
    expect(store.getDeviceToken?.()).toBeNull();
    store.setRefreshToken('r1');
    store.setDeviceToken?.('d.1');
    store.setRefreshToken(null);
    expect(store.getDeviceToken?.()).toBe('d.1');
  });

  it('localStorageTokenStore keeps the device token under its own key, default inkwell.device', () => {
    const storage = fakeStorage();
    const store = localStorageTokenStore({ storage });

    store.setRefreshToken('r1');
    store.setDeviceToken?.('d.1');
    expect(storage.items).toEqual(
      new Map([
        ['inkwell.refresh_token', 'r1'],
        ['inkwell.device', 'd.1'],
      ]),
    );
    // Logging out clears the refresh token only: the browser stays a known device.
    store.setRefreshToken(null);
    expect(storage.items).toEqual(new Map([['inkwell.device', 'd.1']]));
    expect(localStorageTokenStore({ storage }).getDeviceToken?.()).toBe('d.1');

    const custom = localStorageTokenStore({ storage, deviceKey: 'app.device' });
    custom.setDeviceToken?.('d.2');
    expect(storage.items.get('app.device')).toBe('d.2');
  });

  it('localStorageTokenStore can be created where there is no localStorage', () => {
    expect(() => localStorageTokenStore()).not.toThrow();
  });

  it('localStorageTokenStore takes turns under a lock named after its key', async () => {
    const { names, locks } = recordingLocks();
    const store = localStorageTokenStore({ storage: fakeStorage(), key: 'app.refresh', locks });

    await expect(store.exclusive?.(async () => 'done')).resolves.toBe('done');
    expect(names).toEqual(['@inkwell/client app.refresh']);
  });

  it('localStorageTokenStore runs the task at once where there are no Web Locks (Node)', async () => {
    const store = localStorageTokenStore({ storage: fakeStorage() });
    await expect(store.exclusive?.(async () => 'done')).resolves.toBe('done');
  });

  it('localStorageTokenStore announces to the stores of its key, in other tabs and its own', async () => {
    const key = `tokens-${randomUUID()}`;
    const storage = fakeStorage();
    const [here, there, otherKey] = [key, key, `${key}-other`].map((name) =>
      localStorageTokenStore({ storage, key: name }),
    );
    const heardHere = vi.fn<(news: TokenNews) => void>();
    const heardThere = vi.fn<(news: TokenNews) => void>();
    const heardOtherKey = vi.fn<(news: TokenNews) => void>();
    here!.subscribe?.(heardHere);
    const stop = there!.subscribe?.(heardThere);
    otherKey!.subscribe?.(heardOtherKey);

    here!.announce?.({ refreshToken: 'r2', accessToken: 'a2' });

    expect(heardHere).toHaveBeenCalledWith({ refreshToken: 'r2', accessToken: 'a2' });
    await vi.waitFor(() =>
      expect(heardThere).toHaveBeenCalledWith({ refreshToken: 'r2', accessToken: 'a2' }),
    );
    // Anything else on the channel (another app on the origin) is not news.
    const channel = new BroadcastChannel(`@inkwell/client ${key}`);
    channel.postMessage({ refreshToken: 42 });
    channel.postMessage('logout');
    stop?.();
    here!.announce?.({ refreshToken: null });
    await vi.waitFor(() => expect(heardHere).toHaveBeenCalledTimes(2));
    channel.postMessage({ refreshToken: null });
    await new Promise<void>((resolve) => {
      // A listener after those messages: once it has heard the last one, so has the store.
      const last = new BroadcastChannel(`@inkwell/client ${key}`);
      last.onmessage = () => {
        last.close();
        resolve();
      };
      channel.postMessage({ refreshToken: null });
    });
    channel.close();
    expect(heardThere).toHaveBeenCalledTimes(1);
    expect(heardHere).toHaveBeenCalledTimes(4);
    expect(heardHere).toHaveBeenLastCalledWith({ refreshToken: null, accessToken: undefined });
    expect(heardOtherKey).not.toHaveBeenCalled();
  });

  it('indexedDbTokenStore writes through to IndexedDB, where another tab reads it', async () => {
    const database = `tokens-${randomUUID()}`;
    const store = indexedDbTokenStore({ database });
    const otherTab = indexedDbTokenStore({ database });
    expect(await store.getRefreshToken()).toBeNull();

    await store.setRefreshToken('r1');
    await store.setDeviceToken?.('d.1');
    expect(await otherTab.getRefreshToken()).toBe('r1');
    expect(await indexedDbTokenStore({ database: `${database}-other` }).getRefreshToken()).toBe(
      null,
    );

    // Logging out clears the refresh token only: the browser stays a known device.
    await otherTab.setRefreshToken(null);
    expect(await store.getRefreshToken()).toBeNull();
    expect(await store.getDeviceToken?.()).toBe('d.1');
  });

  it('indexedDbTokenStore can be created where there is no IndexedDB, and says so on use', async () => {
    vi.stubGlobal('indexedDB', undefined);
    try {
      const store = indexedDbTokenStore();
      await expect(store.getRefreshToken()).rejects.toThrow();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('indexedDbTokenStore takes turns under a lock named after its database', async () => {
    const { names, locks } = recordingLocks();
    const store = indexedDbTokenStore({ database: 'app', locks });

    await expect(store.exclusive?.(async () => 'done')).resolves.toBe('done');
    expect(names).toEqual(['@inkwell/client idb:app']);
  });
});
