import { ProblemError } from './errors.js';
import { type Client, createClient, createConfig } from './gen/client/index.js';
import type { ClientOptions } from './gen/types.gen.js';
import { renewingFetch } from './renewal.js';
import { Session, type SessionExpiredListener } from './session.js';
import { memoryTokenStore, type TokenStore } from './tokens.js';

export interface InkwellClientOptions {
  /** The API's origin, e.g. `https://api.inkwell.example` (paths start with `/api/v1`). */
  baseUrl: string;
  /** Where the refresh token is kept; memoryTokenStore() unless given. */
  tokenStore?: TokenStore;
  /** Called once each time a login ends because its refresh token was rejected. */
  onSessionExpired?: SessionExpiredListener;
  /** The fetch to send requests with (tests, instrumentation); the global fetch unless given. */
  fetch?: typeof globalThis.fetch;
}

export interface InkwellClient {
  /**
   * The configured HTTP client. Pass it to every generated SDK function and Vue Query
   * options factory: `getCurrentUser({ client })`, `getCurrentUserOptions({ client })`.
   */
  readonly client: Client;
  /** Logs in with the OAuth2 password grant and keeps the token pair. */
  login(email: string, password: string): Promise<void>;
  /** Forgets the tokens here and revokes the login on the server. */
  logout(): Promise<void>;
  /** Rotates the token pair now (requests also do it by themselves on 401). */
  refresh(): Promise<void>;
  /** Whether tokens are held (the login may still turn out to be expired). */
  hasLogin(): Promise<boolean>;
  /** Subscribes to session expiry; returns the unsubscribe function. */
  onSessionExpired(listener: SessionExpiredListener): () => void;
}

/**
 * A client for one API origin with its own login. Every non-2xx answer rejects with a
 * ProblemError (a SessionExpiredError when its login could not be renewed); a request that
 * got no answer rejects with fetch's own error.
 */
export function createInkwellClient(options: InkwellClientOptions): InkwellClient {
  // The global fetch is looked up per request (so it can be replaced later, e.g. by test
  // tooling) and called on globalThis (browsers reject it called on another `this`).
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const client = createClient(
    createConfig<ClientOptions>({ baseUrl: options.baseUrl, throwOnError: true }),
  );
  const session = new Session(client, options.tokenStore ?? memoryTokenStore());
  client.setConfig({
    auth: () => session.accessToken(),
    fetch: renewingFetch(session, send),
  });
  // Without a response the request never got an answer (network failure, abort, expired
  // session): that error is passed on as it is.
  client.interceptors.error.use((error, response) =>
    response === undefined ? error : ProblemError.fromResponse(error, response),
  );
  if (options.onSessionExpired) {
    session.onExpired(options.onSessionExpired);
  }
  return {
    client,
    login: (email, password) => session.login(email, password),
    logout: () => session.logout(),
    refresh: async () => {
      await session.refresh();
    },
    hasLogin: () => session.hasLogin(),
    onSessionExpired: (listener) => session.onExpired(listener),
  };
}
