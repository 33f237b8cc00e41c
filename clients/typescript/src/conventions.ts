/** What a read returns when the resource will be updated: its body and its version. */
export interface Versioned<T> {
  data: T;
  /** The `ETag` to send back as `If-Match` (see ifMatch()). */
  etag: string;
}

/**
 * Keeps the `ETag` of a read (or of an update's answer, which carries the new one) beside
 * its data. Operations that support conditional updates always send an ETag, so a missing
 * one is a server defect and fails here rather than let the update go unconditional.
 *
 * @example const { data: post, etag } = await withETag(getPost({ client, path: { post_id } }));
 */
export async function withETag<T>(
  result: Promise<{ data: T; response: Response }>,
): Promise<Versioned<T>> {
  const { data, response } = await result;
  const etag = response.headers.get('ETag');
  if (etag === null) {
    throw new Error(`${response.url} answered without an ETag header`);
  }
  return { data, etag };
}

/**
 * The `If-Match` header for an update of the version read. When someone else changed the
 * resource meanwhile the server answers 412: a ProblemError whose `isPreconditionFailed` is true.
 *
 * @example await updatePost({ client, path: { post_id }, body, headers: ifMatch(etag) });
 */
export function ifMatch(etag: string): { 'If-Match': string } {
  return { 'If-Match': etag };
}

/**
 * The `Idempotency-Key` header for a create. Make it once per user intent (one form
 * submission) and send the same headers on every retry of that create: the server then
 * creates at most one resource. Needs `crypto.randomUUID`, i.e. a secure context
 * (https or localhost) in browsers.
 *
 * @example const headers = idempotencyKey(); await createPost({ client, body, headers });
 */
export function idempotencyKey(key: string = globalThis.crypto.randomUUID()): {
  'Idempotency-Key': string;
} {
  return { 'Idempotency-Key': key };
}
