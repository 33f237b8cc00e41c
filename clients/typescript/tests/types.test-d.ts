// Type tests: mistakes the compiler must catch, and patterns it must accept. `npm run typecheck`
// compiles this file (each `@ts-expect-error` fails the build when its line stops being an
// error); vitest does not run it. The functions are never called.
import {
  type Client,
  createInkwellClient,
  getCurrentUser,
  listPosts,
  type PostPage,
  ProblemError,
} from '@inkwell/client';
import * as vue from '@inkwell/client/vue';
import {
  createPostMutation,
  cursorPagination,
  getCurrentUserOptions,
  getCurrentUserQueryKey,
  getPostOptions,
  listPostsInfiniteOptions,
  listPostsOptions,
  updatePostMutation,
} from '@inkwell/client/vue';
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/vue-query';
import { describe, expectTypeOf, it } from 'vitest';

const { client } = createInkwellClient({ baseUrl: 'http://127.0.0.1:8000' });

describe('an operation without a configured client', () => {
  it('does not type-check as an SDK call', () => {
    // @ts-expect-error: no client (it would call the page's own origin, or fail to parse the URL)
    void listPosts();
    // @ts-expect-error: options without a client
    void listPosts({ query: { limit: 5 } });
    // @ts-expect-error: no client
    void getCurrentUser({});
    void listPosts({ client, query: { limit: 5 } });
  });

  it('does not type-check as Vue Query options, keys or mutation options', () => {
    // @ts-expect-error: no client
    listPostsOptions();
    // @ts-expect-error: no client
    listPostsInfiniteOptions({ query: { limit: 5 } });
    // @ts-expect-error: no client
    getPostOptions({ path: { post_id: 'x' } });
    // @ts-expect-error: no client (the key holds the client's base URL)
    getCurrentUserQueryKey();
    // @ts-expect-error: no client
    createPostMutation();
    // @ts-expect-error: options without a client
    createPostMutation({ headers: { 'Idempotency-Key': 'k' } });
    getCurrentUserQueryKey({ client });
  });

  it('is bound once in mutation options, so mutate() takes no client', () => {
    const create = useMutation(createPostMutation({ client }));
    create.mutate({ body: { title: 't', body: 'b', tags: [] } });
    // @ts-expect-error: still the operation's own options
    create.mutate({ body: { title: 1 } });
    const update = useMutation(updatePostMutation({ client }));
    update.mutate({ path: { post_id: 'x' }, body: { title: 't' }, headers: { 'If-Match': 'e' } });
  });

  it('is caught for every generated mutation and query key, new ones included', () => {
    // src/vue.ts lists them: a name the spec adds and the list misses shows up here.
    type Keys = Extract<keyof typeof vue, `${string}Mutation` | `${string}QueryKey`>;
    type OptionalClient = {
      [K in Keys]: undefined extends Parameters<(typeof vue)[K]>[0] ? K : never;
    }[Keys];
    expectTypeOf<OptionalClient>().toEqualTypeOf<never>();
    type Factories = Extract<keyof typeof vue, `${string}Options`>;
    type OptionalClientOptions = {
      [K in Factories]: undefined extends Parameters<(typeof vue)[K]>[0] ? K : never;
    }[Factories];
    expectTypeOf<OptionalClientOptions>().toEqualTypeOf<never>();
  });
});

describe('Vue Query errors', () => {
  it('are ProblemErrors for queries, infinite queries and mutations', () => {
    const me = useQuery(getCurrentUserOptions({ client }));
    expectTypeOf(me.error.value).toEqualTypeOf<ProblemError | null>();
    const posts = useInfiniteQuery(cursorPagination(listPostsInfiniteOptions({ client })));
    expectTypeOf(posts.error.value).toEqualTypeOf<ProblemError | null>();
    const create = useMutation(createPostMutation({ client }));
    expectTypeOf(create.error.value).toEqualTypeOf<ProblemError | null>();
    // So a form reads the field errors without an instanceof first.
    expectTypeOf(create.error.value?.fieldErrors()).toEqualTypeOf<
      Record<string, string> | undefined
    >();
  });
});

describe('cursors', () => {
  it('accept a page’s nullable next_cursor', () => {
    expectTypeOf<PostPage['next_cursor']>().toEqualTypeOf<string | null>();
    const next = (page: PostPage) => listPosts({ client, query: { cursor: page.next_cursor } });
    expectTypeOf(next).returns.resolves.toHaveProperty('data').toEqualTypeOf<PostPage>();
    listPostsOptions({ client, query: { cursor: null as string | null } });
  });

  it('follow the README: a "more" call and a loop over every page', async () => {
    const shown = {} as PostPage;
    const more = await listPosts({ client, query: { limit: 20, cursor: shown.next_cursor } });
    expectTypeOf(more.data).toEqualTypeOf<PostPage>();
    const render = (items: PostPage['items']) => items.length;
    let cursor: string | null = null; // null: the first page
    do {
      const page: PostPage = (await listPosts({ client, query: { limit: 100, cursor } })).data;
      render(page.items);
      cursor = page.next_cursor; // null after the last page
    } while (cursor !== null);
  });

  it('are still strings', () => {
    // @ts-expect-error: a cursor is a string
    void listPosts({ client, query: { cursor: 1 } });
  });
});

describe('the main entry', () => {
  it('exports the SDK and the client without Vue Query', () => {
    expectTypeOf<Client>().toEqualTypeOf<typeof client>();
    // @ts-expect-error: Vue Query factories live in @inkwell/client/vue
    void import('@inkwell/client').then((m) => m.listPostsOptions);
  });
});
