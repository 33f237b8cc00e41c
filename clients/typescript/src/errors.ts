import type { FieldError, Problem } from './gen/types.gen.js';

/** Every problem type the API answers with (`/problems/rate-limited`, ...), as a union. */
export type ProblemType = Problem['type'];

/**
 * A non-2xx answer from the API, carrying its RFC 9457 problem+json body.
 *
 * It has the fields of the spec's `Problem` schema, so the error types the generated SDK and
 * Vue Query options declare (`Problem`) describe what is actually thrown.
 */
export class ProblemError extends Error implements Problem {
  override readonly name: string = 'ProblemError';
  /** The problem type: a union of the contract's types, so `switch (error.type)` can be
   * exhaustive (the spec's `Problem.type`; each names a page on the server). */
  readonly type: ProblemType;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly request_id?: string;
  readonly errors?: Array<FieldError>;

  constructor(problem: Problem, options?: ErrorOptions) {
    super(
      `${problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`,
      options,
    );
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.request_id = problem.request_id;
    this.errors = problem.errors;
  }

  /** The id to quote when reporting the problem (the server's `X-Request-ID`). */
  get requestId(): string | undefined {
    return this.request_id;
  }

  /** 412: the resource changed since its ETag was read; re-read it and reapply the edit. */
  get isPreconditionFailed(): boolean {
    return this.status === 412;
  }

  /**
   * The 422 `errors[]` keyed by field name, for a form: `body.email` becomes `email`,
   * `body.author.name` becomes `author.name`. The first message of a field wins.
   */
  fieldErrors(): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const { location, message } of this.errors ?? []) {
      const dot = location.indexOf('.');
      const field = dot === -1 ? location : location.slice(dot + 1);
      fields[field] ??= message;
    }
    return fields;
  }

  /**
   * The error for a failed response. Bodies that are not problem+json (a proxy's HTML 502,
   * say) become an `about:blank` problem named after the status, as RFC 9457 prescribes.
   */
  static fromResponse(body: unknown, response: Response): ProblemError {
    if (isProblem(body)) {
      return new ProblemError(body);
    }
    return new ProblemError({
      type: 'about:blank',
      title: response.statusText || `HTTP ${response.status}`,
      status: response.status,
      ...(typeof body === 'string' && body !== '' ? { detail: body } : {}),
    });
  }
}

/**
 * The login is over: a 401 could not be recovered because the refresh token was rejected
 * (expired, revoked, or reused). Tokens are already cleared; the user must log in again.
 * It is a `ProblemError` (status 401) whose `cause` is the refresh endpoint's answer.
 */
export class SessionExpiredError extends ProblemError {
  override readonly name: string = 'SessionExpiredError';
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) {
    return false;
  }
  const { type, title, status } = body as Record<string, unknown>;
  return typeof type === 'string' && typeof title === 'string' && typeof status === 'number';
}
