import {
  createInkwellClient,
  idempotencyKey,
  ifMatch,
  ProblemError,
  withETag,
} from '@inkwell/client';
import {
  cursorPagination,
  getCurrentUserOptions,
  updateCurrentUserMutation,
} from '@inkwell/client/vue';
import {
  type InfiniteData,
  infiniteQueryOptions,
  QueryClient,
  useMutation,
} from '@tanstack/vue-query';
import { effectScope } from 'vue';
import { afterEach, describe, expect, it } from 'vitest';

import { baseUrl, loggedInClient } from './support.js';

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
afterEach(() => queryClient.clear());

describe('ETag / If-Match', () => {
  it('keeps the ETag beside the data and sends it back as If-Match', async () => {
    const read = Promise.resolve({
      data: { id: 'p1' },
      response: new Response(null, { headers: { ETag: '"v7"' } }),
    });

    const { data, etag } = await withETag(read);

    expect(data).toEqual({ id: 'p1' });
    expect(ifMatch(etag)).toEqual({ 'If-Match': '"v7"' });
  });

  it('fails loudly when a response has no ETag, rather than update unconditionally', async () => {
    const read = Promise.resolve({ data: {}, response: new Response(null) });
    await expect(withETag(read)).rejects.toThrow(/without an ETag/);
  });
});

describe('Idempotency-Key', () => {
  it('makes a new UUID per intent, or carries a given key for a retry', () => {
    const first = idempotencyKey()['Idempotency-Key'];
    const second = idempotencyKey()['Idempotency-Key'];
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second).not.toBe(first);
    expect(idempotencyKey(first)).toEqual({ 'Idempotency-Key': first });
  });
});

describe('cursorPagination', () => {
  // A cursor-paginated list as the generated *InfiniteOptions call it: the page param is a
  // cursor string, or an object of request parts (here the initial `{}`: no cursor).
  type Page = { items: number[]; next_cursor: string | null };
  const pages: Record<string, Page> = {
    first: { items: [1, 2], next_cursor: 'c2' },
    c2: { items: [3, 4], next_cursor: 'c3' },
    c3: { items: [5], next_cursor: null },
  };
  const requested: Array<string | undefined> = [];
  const listOptions = infiniteQueryOptions<
    Page,
    Error,
    InfiniteData<Page>,
    string[],
    string | object
  >({
    queryKey: ['numbers'],
    queryFn: async ({ pageParam }) => {
      const cursor = typeof pageParam === 'string' ? pageParam : undefined;
      requested.push(cursor);
      return pages[cursor ?? 'first']!;
    },
    initialPageParam: {},
    getNextPageParam: () => undefined,
  });

  it('starts without a cursor, follows next_cursor, and stops at null', async () => {
    const data = await queryClient.fetchInfiniteQuery({
      ...cursorPagination(listOptions),
      pages: 10,
    });

    expect(requested).toEqual([undefined, 'c2', 'c3']);
    expect(data.pages.flatMap((page) => page.items)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('generated Vue Query options with an Inkwell client', () => {
  it('fetch the typed current user', async () => {
    const { inkwell, email } = await loggedInClient();

    const me = await queryClient.fetchQuery(getCurrentUserOptions({ client: inkwell.client }));

    expect(me.email).toBe(email);
  });

  it('reject with a ProblemError a query error handler can read', async () => {
    const anonymous = createInkwellClient({ baseUrl: baseUrl() });

    const error = await queryClient
      .fetchQuery(getCurrentUserOptions({ client: anonymous.client }))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).status).toBe(401);
  });

  it('run mutations and expose 422 field errors', async () => {
    const { inkwell } = await loggedInClient();
    // As in a component's setup(), with the QueryClient given instead of injected.
    const mutation = effectScope().run(() =>
      useMutation(updateCurrentUserMutation({ client: inkwell.client }), queryClient),
    )!;

    const updated = await mutation.mutateAsync({ body: { display_name: 'Mutated' } });
    const error = await mutation
      .mutateAsync({ body: { display_name: '' } })
      .catch((e: unknown) => e);

    expect(updated.display_name).toBe('Mutated');
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).fieldErrors()).toEqual({ display_name: expect.any(String) });
  });
});
