import { ProblemError, type ProblemType } from '@inkwell/client';

/** The problem types (RFC 9457 `type`) of the account rules, where the status says too little. */
export const EMAIL_NOT_VERIFIED = '/problems/email-not-verified';
export const INVALID_TOKEN = '/problems/invalid-token';

/** Whether `error` is the API's answer with the problem type `type`. */
export function isProblem(error: unknown, type: string): error is ProblemError {
  return error instanceof ProblemError && error.type === type;
}

/**
 * What a page reached from a mailed link says when the API refuses the link's token: unknown,
 * used or expired (400, the server's words), or not a token at all (422 on `body.token`, a link
 * cut short when copied). Undefined for any other failure.
 */
export function linkProblem(error: unknown): string | undefined {
  if (isProblem(error, INVALID_TOKEN)) {
    return error.detail ?? error.title;
  }
  if (error instanceof ProblemError && 'token' in error.fieldErrors()) {
    return 'This link is damaged: open it as the mail has it.';
  }
  return undefined;
}

/** What a form shows for a failed request: a message per field (422) and one for the form. */
export interface FormErrors {
  fields: Record<string, string>;
  form?: string;
}

/**
 * Whether to try a request again: not after an answer below 500, which a retry would only
 * repeat; after a lost connection or a server error, at most twice.
 */
export function retryUnlessRefused(failures: number, error: unknown): boolean {
  return failures < 2 && !(error instanceof ProblemError && error.status < 500);
}

export function formErrors(error: unknown): FormErrors {
  if (!error) {
    return { fields: {} };
  }
  if (error instanceof TypeError) {
    // fetch got no answer it may show: the API is down, or its CORS_ORIGINS does not list this
    // page's origin (the browser's console says which).
    return { fields: {}, form: `The API could not be reached (${error.message}).` };
  }
  if (!(error instanceof ProblemError)) {
    return { fields: {}, form: String(error) };
  }
  const fields: Record<string, string> = {};
  // A form has one input per top-level field: `tags.2` is shown at the tags input.
  for (const [location, message] of Object.entries(error.fieldErrors())) {
    const [field = location] = location.split('.');
    fields[field] ??= message;
  }
  return { fields, form: refusal(error) };
}

/**
 * What a form says about a refusal, by problem type. The `switch` covers the contract's whole
 * union (`ProblemType`): a type added to the spec fails this build (`never` below) until the
 * demo decides what to say about it.
 */
export function refusal(error: ProblemError): string {
  const said = error.detail ?? error.title;
  const type: ProblemType = error.type;
  switch (type) {
    case '/problems/rate-limited':
      return `${said} Wait a moment before you try again.`;
    case '/problems/unavailable':
      return 'The service is briefly unavailable: try again in a few seconds.';
    case '/problems/internal-error':
      return `Something went wrong on our side (reference ${error.requestId ?? 'unknown'}).`;
    case '/problems/precondition-failed':
      return 'This changed since you opened it: reload to see the new version.';
    case '/problems/unauthorized':
    case '/problems/invalid-token':
    case '/problems/forbidden':
    case '/problems/email-not-verified':
    case '/problems/validation':
    case '/problems/bad-request':
    case '/problems/conflict':
    case '/problems/not-found':
    case '/problems/method-not-allowed':
    case '/problems/payload-too-large':
    case '/problems/uri-too-long':
    case '/problems/unsupported-media-type':
    case '/problems/precondition-required':
    case 'about:blank':
      return said; // the server's words are meant for people
    default: {
      const unhandled: never = type;
      return `${said} (${String(unhandled)})`;
    }
  }
}
