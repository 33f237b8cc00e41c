import { ProblemError } from '@inkwell/client';

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
  return { fields, form: error.detail ?? error.title };
}
