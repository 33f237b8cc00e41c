import { ProblemError, SessionExpiredError } from '@inkwell/client';
import { describe, expect, it } from 'vitest';

describe('ProblemError', () => {
  const validation = new ProblemError({
    type: 'about:blank',
    title: 'Unprocessable Entity',
    status: 422,
    detail: 'The request has 3 invalid fields.',
    request_id: 'req-1',
    errors: [
      { location: 'body.email', message: 'not an email' },
      { location: 'body.email', message: 'too long' },
      { location: 'body.author.name', message: 'required' },
      { location: 'query.limit', message: 'at most 100' },
    ],
  });

  it('keys field errors by field name, first message first', () => {
    expect(validation.fieldErrors()).toEqual({
      email: 'not an email',
      'author.name': 'required',
      limit: 'at most 100',
    });
  });

  it('is an Error with a readable message and the problem fields', () => {
    expect(validation).toBeInstanceOf(Error);
    expect(validation.name).toBe('ProblemError');
    expect(validation.message).toBe('422 Unprocessable Entity: The request has 3 invalid fields.');
    expect(validation.requestId).toBe('req-1');
    expect(validation.isPreconditionFailed).toBe(false);
  });

  it('flags 412 as a failed precondition', () => {
    const stale = new ProblemError({
      type: 'about:blank',
      title: 'Precondition Failed',
      status: 412,
    });
    expect(stale.isPreconditionFailed).toBe(true);
    expect(stale.fieldErrors()).toEqual({});
  });

  it('turns a body that is not problem+json into an about:blank problem', () => {
    const html = ProblemError.fromResponse(
      '<h1>Bad gateway</h1>',
      new Response(null, { status: 502, statusText: 'Bad Gateway' }),
    );
    expect(html).toMatchObject({
      type: 'about:blank',
      title: 'Bad Gateway',
      status: 502,
      detail: '<h1>Bad gateway</h1>',
    });

    const empty = ProblemError.fromResponse({}, new Response(null, { status: 503 }));
    expect(empty).toMatchObject({ type: 'about:blank', title: 'HTTP 503', status: 503 });
    expect(empty.detail).toBeUndefined();
  });

  it('SessionExpiredError is a ProblemError', () => {
    const expired = new SessionExpiredError({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
    });
    expect(expired).toBeInstanceOf(ProblemError);
    expect(expired.name).toBe('SessionExpiredError');
  });
});
