// The HTTP convention helpers against the real posts API: ETag/If-Match, Idempotency-Key and
// cursor pagination through the generated Vue Query infinite options.
import {
  createPost,
  getPost,
  listPosts,
  type PostPage,
  idempotencyKey,
  ifMatch,
  ProblemError,
  publishPost,
  updatePost,
  withETag,
} from '@inkwell/client';
import { cursorPagination, listPostsInfiniteOptions } from '@inkwell/client/vue';
import { QueryClient } from '@tanstack/vue-query';
import { describe, expect, it } from 'vitest';

import { loggedInClient } from './support.js';

describe('posts conventions', () => {
  it('round-trips the ETag: an update with a stale If-Match is a 412 ProblemError', async () => {
    const { inkwell } = await loggedInClient();
    const { client } = inkwell;
    const { data: created } = await createPost({ client, body: { title: 'First', body: 'Text' } });
    const path = { post_id: created.id };

    const read = await withETag(getPost({ client, path }));
    const saved = await withETag(
      updatePost({ client, path, body: { title: 'Second' }, headers: ifMatch(read.etag) }),
    );
    const stale = await updatePost({
      client,
      path,
      body: { title: 'Lost update' },
      headers: ifMatch(read.etag),
    }).catch((e: unknown) => e);

    expect(saved.data.title).toBe('Second');
    expect(saved.etag).not.toBe(read.etag);
    expect(stale).toBeInstanceOf(ProblemError);
    expect((stale as ProblemError).status).toBe(412);
    expect((stale as ProblemError).isPreconditionFailed).toBe(true);
    const { data: current } = await getPost({ client, path });
    expect(current.title).toBe('Second');
  });

  it('creates once per Idempotency-Key: a retry with the same key replays the first answer', async () => {
    const { inkwell } = await loggedInClient();
    const { client } = inkwell;
    const body = { title: 'Once', body: 'Only once' };
    const headers = idempotencyKey();

    const first = await createPost({ client, body, headers });
    const retry = await createPost({ client, body, headers });
    const other = await createPost({ client, body, headers: idempotencyKey() });

    expect(retry.response.status).toBe(201);
    expect(retry.data.id).toBe(first.data.id);
    expect(other.data.id).not.toBe(first.data.id);
  });

  it('walks a cursor-paginated list to its end with cursorPagination', async () => {
    const { inkwell } = await loggedInClient({ verified: true }); // it publishes
    const { client } = inkwell;
    const ids: string[] = [];
    for (const title of ['one', 'two', 'three']) {
      const { data } = await createPost({ client, body: { title, body: title } });
      await publishPost({ client, path: { post_id: data.id } });
      ids.push(data.id);
    }
    // A draft by the same author: not listed, so not in any page.
    const { data: draft } = await createPost({
      client,
      body: { title: 'draft', body: 'unlisted' },
    });
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });

    const options = cursorPagination(
      listPostsInfiniteOptions({ client, query: { author_id: draft.author.id, limit: 2 } }),
    );
    const data = await queryClient.fetchInfiniteQuery({ ...options, pages: 10 });

    expect(data.pages.map((page) => page.items.length)).toEqual([2, 1]);
    expect(data.pages.at(-1)?.next_cursor).toBeNull();
    expect(data.pages.flatMap((page) => page.items.map((post) => post.id)).sort()).toEqual(
      ids.sort(),
    );
  });

  it('walks the same list by hand, passing each next_cursor (null: the first page) back', async () => {
    const { inkwell } = await loggedInClient({ verified: true });
    const { client } = inkwell;
    const ids: string[] = [];
    for (const title of ['one', 'two', 'three']) {
      const { data } = await createPost({ client, body: { title, body: title } });
      await publishPost({ client, path: { post_id: data.id } });
      ids.push(data.id);
    }
    const author_id = (await getPost({ client, path: { post_id: ids[0]! } })).data.author.id;

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: PostPage = (await listPosts({ client, query: { author_id, limit: 2, cursor } }))
        .data;
      seen.push(...page.items.map((post) => post.id));
      cursor = page.next_cursor;
    } while (cursor !== null);

    expect(seen.sort()).toEqual(ids.sort());
  });
});
