// The public entry of @inkwell/client. Application code imports from here only; src/gen/ is
// regenerated from the spec and its layout is not part of the API.

// Generated from openapi/openapi.yaml: one function per operation, the request/response types,
// and the Vue Query options factories, query keys and mutation options.
export * from './gen/index.js';
export * from './gen/@tanstack/vue-query.gen.js';
export type { Client } from './gen/client/index.js';

export { createInkwellClient, type InkwellClient, type InkwellClientOptions } from './client.js';
export { ProblemError, type ProblemType, SessionExpiredError } from './errors.js';
export type { SessionExpiredListener } from './session.js';
export {
  localStorageTokenStore,
  memoryTokenStore,
  type TokenStore,
  type WebStorageTokenStoreOptions,
} from './tokens.js';
export {
  cursorPagination,
  type CursorPage,
  idempotencyKey,
  ifMatch,
  type Versioned,
  withETag,
} from './conventions.js';
