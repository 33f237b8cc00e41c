// Device tokens (OWASP device cookies): a sign-in answers one, the client keeps it in its
// TokenStore, and every later sign-in from the same client sends it, logouts notwithstanding.
import { readFileSync } from 'node:fs';

import { createInkwellClient, memoryTokenStore, type TokenStore } from '@inkwell/client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { DEVICE_TOKEN } from '../src/session.js';
import { baseUrl, PASSWORD, register } from './support.js';

const TOKEN_PATH = '/api/v1/auth/token';

interface SignIn {
  /** The form the client sent. */
  sent: URLSearchParams;
  /** The answer's device_token, as the client received it. */
  received: string | undefined;
}

/**
 * A fetch that records every sign-in, and lets a test rewrite a sign-in's JSON answer before
 * the client sees it (`answer`).
 */
function signInRecorder(answer: (pair: Record<string, unknown>) => Record<string, unknown>) {
  const signIns: SignIn[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if (new URL(request.url).pathname !== TOKEN_PATH) {
      return globalThis.fetch(request);
    }
    const sent = new URLSearchParams(await request.clone().text());
    const response = await globalThis.fetch(request);
    if (response.status !== 200) {
      signIns.push({ sent, received: undefined });
      return response;
    }
    const pair = answer((await response.json()) as Record<string, unknown>);
    const received = typeof pair.device_token === 'string' ? pair.device_token : undefined;
    signIns.push({ sent, received });
    return Response.json(pair, { status: 200, headers: response.headers });
  };
  return { fetch, signIns };
}

describe('device tokens', () => {
  it('checks stored tokens against the spec’s DeviceToken pattern', () => {
    const spec = parse(
      readFileSync(new URL('../../../openapi/openapi.yaml', import.meta.url), 'utf8'),
    );
    expect(DEVICE_TOKEN.source).toBe(spec.components.schemas.DeviceToken.pattern);
  });

  it('keeps the device token a sign-in answers and sends it with every later sign-in', async () => {
    // The first answer carries a device token whatever the server does (this one is unknown to
    // it), so the client's part is tested on its own: keep it, send it, keep it across logout.
    const planted = 'cGxhbnRlZA.ZGV2aWNl';
    const { fetch, signIns } = signInRecorder((pair) =>
      pair.device_token === undefined ? { ...pair, device_token: planted } : pair,
    );
    const store = memoryTokenStore();
    const inkwell = createInkwellClient({ baseUrl: baseUrl(), tokenStore: store, fetch });
    const email = await register('Device');

    await inkwell.login(email, PASSWORD);
    const kept = signIns[0]?.received;
    expect(signIns[0]?.sent.has('device_token')).toBe(false);
    expect(kept).toMatch(DEVICE_TOKEN);
    expect(store.getDeviceToken?.()).toBe(kept);

    await inkwell.refresh(); // refreshes answer no device token: the kept one stays
    await inkwell.logout();
    expect(await inkwell.hasLogin()).toBe(false);
    expect(store.getDeviceToken?.()).toBe(kept);

    // An unknown device token is treated as absent by the server: the sign-in still succeeds.
    await inkwell.login(email, PASSWORD);
    expect(signIns[1]?.sent.get('device_token')).toBe(kept);
    expect(await inkwell.hasLogin()).toBe(true);
  });

  it('round-trips the server’s device token: signed in, kept, sent with the next sign-in', async () => {
    const { fetch, signIns } = signInRecorder((pair) => pair);
    const store = memoryTokenStore();
    const inkwell = createInkwellClient({ baseUrl: baseUrl(), tokenStore: store, fetch });
    const email = await register('Device');

    await inkwell.login(email, PASSWORD);
    const issued = signIns[0]?.received;
    expect(issued, 'the server answers a sign-in with a device_token').toMatch(DEVICE_TOKEN);
    expect(store.getDeviceToken?.()).toBe(issued);

    await inkwell.logout();
    await inkwell.login(email, PASSWORD);
    expect(signIns[1]?.sent.get('device_token')).toBe(issued);
    expect(signIns[1]?.received).toMatch(DEVICE_TOKEN);
    expect(store.getDeviceToken?.()).toBe(signIns[1]?.received);
  });

  it('does not send a stored value the server would refuse, and keeps tokens in memory for a store without device methods', async () => {
    const { fetch, signIns } = signInRecorder((pair) => ({
      ...pair,
      device_token: 'bWVtb3J5.b25seQ',
    }));
    let refreshToken: string | null = null;
    // A TokenStore written before device tokens existed: refresh tokens only.
    const legacy: TokenStore = {
      getRefreshToken: () => refreshToken,
      setRefreshToken: (token) => {
        refreshToken = token;
      },
    };
    const email = await register('Device');
    const inkwell = createInkwellClient({ baseUrl: baseUrl(), tokenStore: legacy, fetch });
    await inkwell.login(email, PASSWORD);
    await inkwell.login(email, PASSWORD);
    expect(signIns[1]?.sent.get('device_token')).toBe('bWVtb3J5.b25seQ');

    const tampered = memoryTokenStore();
    tampered.setDeviceToken?.('not a device token');
    const other = createInkwellClient({ baseUrl: baseUrl(), tokenStore: tampered, fetch });
    await other.login(email, PASSWORD);
    expect(signIns[2]?.sent.has('device_token')).toBe(false);
    expect(tampered.getDeviceToken?.()).toBe('bWVtb3J5.b25seQ');
  });
});
