// The Vue entry of @inkwell/client (`@inkwell/client/vue`): TanStack Vue Query options
// factories, query keys and mutation options for every operation, and cursorPagination.
// `@inkwell/client` itself never loads `vue` or `@tanstack/vue-query`.

import type { DataTag, InfiniteData, UseMutationOptions } from '@tanstack/vue-query';

import type { ProblemError } from './errors.js';
import * as generated from './gen/@tanstack/vue-query.gen.js';
import type { Client } from './gen/client/index.js';

// Every error the client rejects with for an answer is a ProblemError (src/client.ts), so
// Vue Query's `error` is typed as one: `query.error.value?.fieldErrors()` needs no instanceof.
// The generator is configured (openapi-ts.config.ts) to type the factories' errors as
// TanStack's DefaultError, which this registration turns into ProblemError. It is global to
// the app's TanStack Query types, as TanStack documents for a consistent error type.
declare module '@tanstack/vue-query' {
  interface Register {
    defaultError: ProblemError;
  }
}

// Query options factories (`getPostOptions`, `listPostsInfiniteOptions`, ...) are generated
// with a required `client`; query keys and mutation options are re-exported below with one.
export * from './gen/@tanstack/vue-query.gen.js';

/** What `mutate()` takes: the operation's options, the client being bound by the factory. */
export type MutationVariables<TOptions> = Omit<TOptions, 'client'> & { client?: Client };

/**
 * A generated mutation options factory with its `client` required (the generated one makes
 * every option optional) and its variables without it, so `mutate({ body })` works.
 */
function bindMutation<TData, TError, TOptions extends { client: Client }>(
  factory: (options?: Partial<TOptions>) => UseMutationOptions<TData, TError, TOptions>,
): (
  options: Partial<TOptions> & { client: Client },
) => UseMutationOptions<TData, TError, MutationVariables<TOptions>> {
  return factory as never;
}

/**
 * A generated query key function with its options, hence its `client`, required: the key
 * holds the client's base URL, and a key made without it would match no query.
 */
function requireClient<TOptions extends { client: Client }, TKey>(
  key: (options: TOptions) => TKey,
): (options: TOptions) => TKey {
  return key;
}

export const registerUserMutation = /* @__PURE__ */ bindMutation(generated.registerUserMutation);
export const issueTokenMutation = /* @__PURE__ */ bindMutation(generated.issueTokenMutation);
export const refreshTokenMutation = /* @__PURE__ */ bindMutation(generated.refreshTokenMutation);
export const logoutMutation = /* @__PURE__ */ bindMutation(generated.logoutMutation);
export const requestPasswordResetMutation = /* @__PURE__ */ bindMutation(
  generated.requestPasswordResetMutation,
);
export const resetPasswordMutation = /* @__PURE__ */ bindMutation(generated.resetPasswordMutation);
export const verifyEmailMutation = /* @__PURE__ */ bindMutation(generated.verifyEmailMutation);
export const updateCurrentUserMutation = /* @__PURE__ */ bindMutation(
  generated.updateCurrentUserMutation,
);
export const changePasswordMutation = /* @__PURE__ */ bindMutation(
  generated.changePasswordMutation,
);
export const resendVerificationMutation = /* @__PURE__ */ bindMutation(
  generated.resendVerificationMutation,
);
export const deleteUserMutation = /* @__PURE__ */ bindMutation(generated.deleteUserMutation);
export const updateUserMutation = /* @__PURE__ */ bindMutation(generated.updateUserMutation);
export const sendPasswordResetMutation = /* @__PURE__ */ bindMutation(
  generated.sendPasswordResetMutation,
);
export const createPostMutation = /* @__PURE__ */ bindMutation(generated.createPostMutation);
export const deletePostMutation = /* @__PURE__ */ bindMutation(generated.deletePostMutation);
export const updatePostMutation = /* @__PURE__ */ bindMutation(generated.updatePostMutation);
export const publishPostMutation = /* @__PURE__ */ bindMutation(generated.publishPostMutation);
export const unpublishPostMutation = /* @__PURE__ */ bindMutation(generated.unpublishPostMutation);
export const createCommentMutation = /* @__PURE__ */ bindMutation(generated.createCommentMutation);
export const deleteCommentMutation = /* @__PURE__ */ bindMutation(generated.deleteCommentMutation);

export const getLivenessQueryKey = /* @__PURE__ */ requireClient(generated.getLivenessQueryKey);
export const getReadinessQueryKey = /* @__PURE__ */ requireClient(generated.getReadinessQueryKey);
export const listUsersQueryKey = /* @__PURE__ */ requireClient(generated.listUsersQueryKey);
export const listUsersInfiniteQueryKey = /* @__PURE__ */ requireClient(
  generated.listUsersInfiniteQueryKey,
);
export const getCurrentUserQueryKey = /* @__PURE__ */ requireClient(
  generated.getCurrentUserQueryKey,
);
export const getUserQueryKey = /* @__PURE__ */ requireClient(generated.getUserQueryKey);
export const listUserPostsQueryKey = /* @__PURE__ */ requireClient(generated.listUserPostsQueryKey);
export const listUserPostsInfiniteQueryKey = /* @__PURE__ */ requireClient(
  generated.listUserPostsInfiniteQueryKey,
);
export const listPostsQueryKey = /* @__PURE__ */ requireClient(generated.listPostsQueryKey);
export const listPostsInfiniteQueryKey = /* @__PURE__ */ requireClient(
  generated.listPostsInfiniteQueryKey,
);
export const getPostQueryKey = /* @__PURE__ */ requireClient(generated.getPostQueryKey);
export const listCommentsQueryKey = /* @__PURE__ */ requireClient(generated.listCommentsQueryKey);
export const listCommentsInfiniteQueryKey = /* @__PURE__ */ requireClient(
  generated.listCommentsInfiniteQueryKey,
);

/** A page of a cursor-paginated list: `{ items, next_cursor }`. */
export interface CursorPage {
  next_cursor?: string | null;
}

/**
 * Completes the generated `*InfiniteOptions` of a cursor-paginated list for useInfiniteQuery:
 * the first page is fetched without a cursor, each next one with the previous page's
 * `next_cursor`, and `hasNextPage` turns false when it is null.
 *
 * @example const posts = useInfiniteQuery(cursorPagination(listPostsInfiniteOptions({ client })));
 */
export function cursorPagination<
  TPage extends CursorPage,
  TOptions extends { queryKey: DataTag<unknown, InfiniteData<TPage, unknown>, unknown> },
>(options: TOptions) {
  return {
    ...options,
    // The generated queryFn takes either a cursor string or an object of request parts to
    // merge; the empty object means "no cursor".
    initialPageParam: {},
    getNextPageParam: (lastPage: TPage): string | undefined => lastPage.next_cursor ?? undefined,
  };
}
