import {
  createInkwellClient,
  getCurrentUser,
  memoryTokenStore,
  ProblemError,
  SessionExpiredError,
  type TokenStore,
  updateCurrentUser,
} from '@inkwell/client';
import { describe, expect, it, vi } from 'vitest';

import { baseUrl, expiringFetch, loggedInClient, recordingFetch } from './support.js';

const REFRESH = '/api/v1/auth/refresh';
const ME = '/api/v1/users/me';

describe('401 → refresh → retry', () => {
  it('runs exactly one refresh for five concurrent requests with an expired token, and all succeed', async () => {
    const wire = expiringFetch();
    const { inkwell, email } = await loggedInClient({ fetch: wire.fetch });
    await getCurrentUser({ client: inkwell.client });
    wire.expireCurrentToken();

    const results = await Promise.all(
      Array.from({ length: 5 }, () => getCurrentUser({ client: inkwell.client })),
    );

    expect(results.map(({ data }) => data.email)).toEqual(Array(5).fill(email));
    expect(wire.count(REFRESH)).toBe(1);
    const mine = wire.calls.filter((call) => call.path === ME);
    // 1 before expiry, 5 rejected with the expired token, 5 retried with the new one.
    expect(mine.map((call) => call.status).sort()).toEqual([
      ...Array(6).fill(200),
      ...Array(5).fill(401),
    ]);
    expect(
      new Set(
        mine
          .filter((c) => c.status === 200)
          .slice(1)
          .map((c) => c.authorization),
      ).size,
    ).toBe(1);
  });

  it('refreshes again on the next expiry, with the rotated refresh token', async () => {
    const wire = expiringFetch();
    const { inkwell } = await loggedInClient({ fetch: wire.fetch });

    for (let round = 0; round < 3; round += 1) {
      await getCurrentUser({ client: inkwell.client });
      wire.expireCurrentToken();
    }
    await getCurrentUser({ client: inkwell.client });

    expect(wire.count(REFRESH)).toBe(3); // one per expired token
    expect(wire.calls.filter((c) => c.path === REFRESH).every((c) => c.status === 200)).toBe(true);
  });

  it('reuses a refresh that finished before a late 401 came back, instead of refreshing again', async () => {
    const wire = expiringFetch();
    // Holds back the 401 of the request tagged `late` until the test releases it.
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let lateRejected = () => {};
    const lateIsHeld = new Promise<void>((resolve) => (lateRejected = resolve));
    const slow: typeof fetch = async (input, init) => {
      const tag = input instanceof Request ? input.headers.get('X-Request-ID') : null;
      const response = await wire.fetch(input, init);
      if (tag === 'late' && response.status === 401) {
        lateRejected();
        await released;
      }
      return response;
    };
    const { inkwell } = await loggedInClient({ fetch: slow });
    await getCurrentUser({ client: inkwell.client });
    wire.expireCurrentToken();

    const late = getCurrentUser({ client: inkwell.client, headers: { 'X-Request-ID': 'late' } });
    await lateIsHeld;
    await getCurrentUser({ client: inkwell.client }); // 401, refresh, retry: done
    release();

    await expect(late).resolves.toMatchObject({ response: { status: 200 } });
    expect(wire.count(REFRESH)).toBe(1);
  });

  it('replays the request body when it retries', async () => {
    const wire = expiringFetch();
    const { inkwell } = await loggedInClient({ fetch: wire.fetch });
    await getCurrentUser({ client: inkwell.client });
    wire.expireCurrentToken();

    const { data } = await updateCurrentUser({
      client: inkwell.client,
      body: { display_name: 'Retried' },
    });

    expect(data.display_name).toBe('Retried');
    expect(wire.calls.filter((c) => c.path === ME).map((c) => `${c.method} ${c.status}`)).toEqual([
      'GET 200',
      'PATCH 401',
      'PATCH 200',
    ]);
  });

  it('retries once only: a retry that is rejected again is a 401 ProblemError, not a loop', async () => {
    // Every bearer token is mangled, so even the refreshed one is rejected.
    const wire = recordingFetch((request) => {
      const headers = new Headers(request.headers);
      if (headers.has('Authorization')) headers.set('Authorization', 'Bearer not-a-jwt');
      return new Request(request, { headers });
    });
    const { inkwell } = await loggedInClient({ fetch: wire.fetch });

    const error = await getCurrentUser({ client: inkwell.client }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProblemError);
    expect(error).not.toBeInstanceOf(SessionExpiredError);
    expect((error as ProblemError).status).toBe(401);
    expect(wire.count(REFRESH)).toBe(1);
    expect(wire.count(ME)).toBe(2);
  });

  it('refreshes once, before sending, when only a stored refresh token is left (a page reload)', async () => {
    const tokenStore = memoryTokenStore();
    const { email } = await loggedInClient({ tokenStore });
    const wire = recordingFetch();
    const reloaded = createInkwellClient({ baseUrl: baseUrl(), tokenStore, fetch: wire.fetch });

    const results = await Promise.all(
      Array.from({ length: 3 }, () => getCurrentUser({ client: reloaded.client })),
    );

    expect(results.every(({ data }) => data.email === email)).toBe(true);
    expect(wire.calls.map((c) => `${c.path} ${c.status}`)).toEqual([
      `${REFRESH} 200`,
      `${ME} 200`,
      `${ME} 200`,
      `${ME} 200`,
    ]);
  });

  it('keeps the login when a refresh fails for a reason that may pass (network down)', async () => {
    let networkDown = false;
    const wire = recordingFetch();
    const flaky: typeof fetch = async (input, init) => {
      if (networkDown) throw new TypeError('fetch failed');
      return wire.fetch(input, init);
    };
    const { inkwell } = await loggedInClient({ fetch: flaky });
    networkDown = true;

    await expect(inkwell.refresh()).rejects.toThrow(TypeError);

    networkDown = false;
    expect(await inkwell.hasLogin()).toBe(true);
    await expect(getCurrentUser({ client: inkwell.client })).resolves.toMatchObject({
      response: { status: 200 },
    });
  });
});

describe('session expiry', () => {
  it('a reused refresh token ends the login: SessionExpiredError, the event, tokens cleared', async () => {
    const tokenStore: TokenStore = memoryTokenStore();
    const wire = expiringFetch();
    const onSessionExpired = vi.fn();
    const { inkwell } = await loggedInClient({ tokenStore, fetch: wire.fetch, onSessionExpired });
    const subscribed = vi.fn();
    inkwell.onSessionExpired(subscribed);
    const stolen = await tokenStore.getRefreshToken();
    await inkwell.refresh(); // rotates: `stolen` is now a used token
    // Someone presents the used token again (a thief, a stale tab): the server revokes the
    // whole chain, including the token this client holds now.
    await tokenStore.setRefreshToken(stolen);
    await getCurrentUser({ client: inkwell.client });
    wire.expireCurrentToken();

    const errors = await Promise.all(
      Array.from({ length: 3 }, () =>
        getCurrentUser({ client: inkwell.client }).catch((e: unknown) => e),
      ),
    );

    for (const error of errors) {
      expect(error).toBeInstanceOf(SessionExpiredError);
      expect(error).toBeInstanceOf(ProblemError);
      expect((error as SessionExpiredError).status).toBe(401);
      expect((error as SessionExpiredError).cause).toBeInstanceOf(ProblemError);
    }
    expect(wire.count(REFRESH)).toBe(2); // the rotation above, then the one rejected refresh
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
    expect(onSessionExpired).toHaveBeenCalledWith(errors[0]);
    expect(subscribed).toHaveBeenCalledTimes(1);
    expect(await inkwell.hasLogin()).toBe(false);
    expect(await tokenStore.getRefreshToken()).toBeNull();

    // With no login left, a request is simply unauthenticated: no refresh, a plain 401.
    const after = await getCurrentUser({ client: inkwell.client }).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(ProblemError);
    expect(after).not.toBeInstanceOf(SessionExpiredError);
    expect(wire.count(REFRESH)).toBe(2);
  });

  it('an explicit refresh with nothing stored is a SessionExpiredError without a request', async () => {
    const wire = recordingFetch();
    const onSessionExpired = vi.fn();
    const inkwell = createInkwellClient({
      baseUrl: baseUrl(),
      fetch: wire.fetch,
      onSessionExpired,
    });

    await expect(inkwell.refresh()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
    expect(wire.calls).toEqual([]);
  });

  it('an unsubscribed listener is not called', async () => {
    const inkwell = createInkwellClient({ baseUrl: baseUrl() });
    const listener = vi.fn();
    const unsubscribe = inkwell.onSessionExpired(listener);
    unsubscribe();

    await expect(inkwell.refresh()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(listener).not.toHaveBeenCalled();
  });
});
