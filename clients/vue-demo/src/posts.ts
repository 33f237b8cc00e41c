import { type Post, type PostCreate } from '@inkwell/client';
import { listPostsInfiniteQueryKey } from '@inkwell/client/vue';
import type { QueryClient } from '@tanstack/vue-query';

import { client } from './inkwell';

/** The post list's request options, shared by the list and whatever must refresh it. */
export const postList = { client, query: { limit: 10 } };

export function refreshPostList(queryClient: QueryClient): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: listPostsInfiniteQueryKey(postList) });
}

/** A post as its form edits it: tags as one comma-separated string. */
export interface PostDraft {
  title: string;
  body: string;
  tags: string;
}

export function toDraft(post: Post): PostDraft {
  return { title: post.title, body: post.body, tags: post.tags.join(', ') };
}

/** The request body for a draft; the same shape serves PostCreate and PostUpdate. */
export function toPostBody(draft: PostDraft): PostCreate {
  const tags = draft.tags
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
  return { title: draft.title, body: draft.body, tags };
}
