import { localStorageTokenStore, memoryTokenStore } from '@inkwell/client';
import { describe, expect, it } from 'vitest';

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
});
