// The public entry of @inkwell/client. Application code imports from here and, for Vue Query,
// from `@inkwell/client/vue` (src/vue.ts) only; src/gen/ is regenerated from the spec and its
// layout is not part of the API.

// Generated from openapi/openapi.yaml: one function per operation and the request/response
// types. Nothing here loads `vue` or `@tanstack/vue-query`: the Vue Query factories are in
// the `@inkwell/client/vue` entry (src/vue.ts).
export * from './gen/index.js';
export type { Client } from './gen/client/index.js';

export { createInkwellClient, type InkwellClient, type InkwellClientOptions } from './client.js';
export { ProblemError, type ProblemType, SessionExpiredError } from './errors.js';
export type { SessionExpiredListener } from './session.js';
export { memoryTokenStore, type TokenLocks, type TokenNews, type TokenStore } from './tokens.js';
export {
  indexedDbTokenStore,
  type IndexedDbTokenStoreOptions,
  localStorageTokenStore,
  type WebStorageTokenStoreOptions,
} from './browser-stores.js';
export { idempotencyKey, ifMatch, type Versioned, withETag } from './conventions.js';
