import type { Session } from './session.js';

const BEARER = /^Bearer (.+)$/;

/**
 * Wraps `fetch` so that a 401 to a request sent with the session's access token is answered
 * by one refresh and one retry of the same request with the new token.
 *
 * Only requests that carry a bearer token qualify. The SDK adds one exactly to the operations
 * the spec secures, so the public auth operations (token, refresh, logout, register, password
 * reset, email verification) never trigger a refresh, and a refresh can never recurse into
 * itself. The retry's answer is final, 401 included: there is no loop.
 */
export function renewingFetch(
  session: Session,
  fetch: typeof globalThis.fetch,
): typeof globalThis.fetch {
  return async (input, init) => {
    const request =
      input instanceof Request && init === undefined ? input : new Request(input, init);
    const sent = BEARER.exec(request.headers.get('Authorization') ?? '')?.[1];
    if (sent === undefined) {
      return fetch(request);
    }
    // The body can be read once: keep a copy for the retry before sending.
    const retry = request.clone();
    const response = await fetch(request);
    if (response.status !== 401 || !(await session.canRenew())) {
      return response;
    }
    // Release the connection the unread 401 body holds before sending again.
    await response.body?.cancel();
    retry.headers.set('Authorization', `Bearer ${await session.renew(sent)}`);
    return fetch(retry);
  };
}
