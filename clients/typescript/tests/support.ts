import { randomUUID } from 'node:crypto';

import { createInkwellClient, type InkwellClientOptions, registerUser } from '@inkwell/client';

/** The live server the suite runs against (`python -m contracts_tests.live_server -- ...`). */
export function baseUrl(): string {
  const url = process.env.INKWELL_BASE_URL;
  if (!url) {
    throw new Error(
      'INKWELL_BASE_URL is not set: run the tests through contracts_tests.live_server',
    );
  }
  return url;
}

export const PASSWORD = 'correct horse battery staple';

/** A fresh email per call: tests share one database. */
export function uniqueEmail(): string {
  return `ts-client-${randomUUID()}@example.com`;
}

export interface Recorded {
  method: string;
  path: string;
  authorization: string | null;
  status: number;
}

/**
 * A fetch that records what goes over the wire, and lets a test rewrite a request first
 * (`tamper`), e.g. to make the server see an expired access token.
 */
export function recordingFetch(tamper: (request: Request) => Request = (request) => request) {
  const calls: Recorded[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = tamper(new Request(input, init));
    const response = await globalThis.fetch(request);
    calls.push({
      method: request.method,
      path: new URL(request.url).pathname,
      authorization: request.headers.get('Authorization'),
      status: response.status,
    });
    return response;
  };
  const count = (path: string) => calls.filter((call) => call.path === path).length;
  return { fetch, calls, count };
}

/**
 * Registers a new account and returns a client logged in as it.
 *
 * The server rate-limits per client address even in tests (by default 50 logins per 5 minutes,
 * 60 anonymous writes such as registrations per minute) and the whole suite comes from
 * 127.0.0.1: it uses about 27 logins and 28 registrations. Share an account where a test does
 * not need its own login.
 */
export async function loggedInClient(options: Partial<InkwellClientOptions> = {}) {
  const email = uniqueEmail();
  const inkwell = createInkwellClient({ baseUrl: baseUrl(), ...options });
  await registerUser({
    client: inkwell.client,
    body: { email, password: PASSWORD, display_name: 'Test' },
  });
  await inkwell.login(email, PASSWORD);
  return { inkwell, email };
}
