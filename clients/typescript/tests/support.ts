import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  createInkwellClient,
  type InkwellClientOptions,
  registerUser,
  verifyEmail,
} from '@inkwell/client';

/** The live server the suite runs against (`python -m contracts_tests.live_server -- ...`). */
export function baseUrl(): string {
  const url = process.env.INKWELL_BASE_URL;
  if (!url) {
    throw new Error(
      'INKWELL_BASE_URL is not set: run the tests through contracts_tests.live_server',
    );
  }
  return url;
}

export const PASSWORD = 'correct horse battery staple';

/** A fresh email per call: tests share one database. */
export function uniqueEmail(): string {
  return `ts-client-${randomUUID()}@example.com`;
}

export interface Recorded {
  method: string;
  path: string;
  authorization: string | null;
  status: number;
}

/**
 * A fetch that records what goes over the wire, and lets a test rewrite a request first
 * (`tamper`), e.g. to make the server see an expired access token.
 */
export function recordingFetch(tamper: (request: Request) => Request = (request) => request) {
  const calls: Recorded[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = tamper(new Request(input, init));
    const response = await globalThis.fetch(request);
    calls.push({
      method: request.method,
      path: new URL(request.url).pathname,
      authorization: request.headers.get('Authorization'),
      status: response.status,
    });
    return response;
  };
  const count = (path: string) => calls.filter((call) => call.path === path).length;
  return { fetch, calls, count };
}

/**
 * A recorder whose server side sees the given access tokens as expired: requests carrying
 * one of them get their signature mangled, so the real server answers 401 as it would once
 * the token's 15 minutes are over.
 */
export function expiringFetch() {
  const expired = new Set<string>();
  const recorder = recordingFetch((request) => {
    const authorization = request.headers.get('Authorization');
    if (authorization === null || !expired.has(authorization)) {
      return request;
    }
    const headers = new Headers(request.headers);
    headers.set('Authorization', `${authorization}-expired`);
    return new Request(request, { headers });
  });
  /** Expires the access token the client sent last. */
  const expireCurrentToken = () => {
    const sent = [...recorder.calls].reverse().find((call) => call.authorization !== null);
    if (!sent?.authorization) {
      throw new Error('no authenticated request was sent yet');
    }
    expired.add(sent.authorization);
  };
  /** Expires every access token sent so far, whichever client sent it. */
  const expireAll = () => {
    for (const call of recorder.calls) {
      if (call.authorization !== null) {
        expired.add(call.authorization);
      }
    }
  };
  return { ...recorder, expireCurrentToken, expireAll };
}

/** The folder where the live server's mail sink saves every mail it is sent, as `.eml` files. */
export function mailDir(): string {
  const folder = process.env.INKWELL_MAIL_DIR;
  if (!folder) {
    throw new Error(
      'INKWELL_MAIL_DIR is not set: run the tests through contracts_tests.live_server',
    );
  }
  return folder;
}

/** A mail as the tests read it: a single text part, decoded. */
export interface Mail {
  file: string;
  to: string;
  subject: string;
  text: string;
}

/** The pages of the frontend (`APP_URL`) that mailed links lead to. */
export type LinkPage = 'verify-email' | 'reset-password' | 'forgot-password';

const MAIL_WAIT_MS = 20_000;

/**
 * The newest mail to `to` with a link to `page` (and newer than `after`, when given), waiting
 * for the worker to send it. Mails are files named by the time they arrived (app.mailsink),
 * written whole and then renamed, so a listed `.eml` is never half written.
 */
export async function mailTo(to: string, page: LinkPage, after?: Mail): Promise<Mail> {
  const deadline = Date.now() + MAIL_WAIT_MS;
  for (;;) {
    const mails = await readMails();
    const found = mails.filter(
      (mail) =>
        mail.to.toLowerCase() === to.toLowerCase() &&
        linkTo(mail, page) !== undefined &&
        (after === undefined || mail.file > after.file),
    );
    if (found.length > 0) {
      return found.at(-1)!;
    }
    if (Date.now() > deadline) {
      const seen = mails.map((mail) => `${mail.to}: ${mail.subject}`).join('; ') || 'none';
      throw new Error(
        `no mail to ${to} with a /${page} link within ${MAIL_WAIT_MS} ms (seen: ${seen})`,
      );
    }
    await sleep(100);
  }
}

/** The `token` of the newest mailed link to `page` for `to`: what the page reads from its URL. */
export async function mailedToken(to: string, page: 'verify-email' | 'reset-password') {
  const link = linkTo(await mailTo(to, page), page)!;
  const token = link.searchParams.get('token');
  if (!token) {
    throw new Error(`the /${page} link mailed to ${to} has no token: ${link.href}`);
  }
  return token;
}

/** The first link in the mail to the frontend page `page` (whatever APP_URL's origin). */
export function linkTo(mail: Mail, page: LinkPage): URL | undefined {
  for (const [href] of mail.text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
    const url = new URL(href);
    if (url.pathname.replace(/\/$/, '').endsWith(`/${page}`)) {
      return url;
    }
  }
  return undefined;
}

async function readMails(): Promise<Mail[]> {
  const names = (await readdir(mailDir())).filter((name) => name.endsWith('.eml')).sort();
  return Promise.all(
    names.map(async (name) => {
      const file = join(mailDir(), name);
      return { file, ...parseMail(await readFile(file)) };
    }),
  );
}

/**
 * The recipient, subject and text of a single-part mail as Python's EmailMessage writes it:
 * folded headers, and a body in 7bit, 8bit, quoted-printable (a line over 78 characters, such
 * as a link, is enough for that) or base64.
 */
export function parseMail(raw: Buffer): Omit<Mail, 'file'> {
  const source = raw.toString('latin1'); // bytes as they are; the body is decoded below
  const split = /\r?\n\r?\n/.exec(source);
  const head = split ? source.slice(0, split.index) : source;
  const body = split ? source.slice(split.index + split[0].length) : '';
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  const to = headers.get('to') ?? '';
  return {
    to: /<([^>]+)>/.exec(to)?.[1] ?? to,
    subject: headers.get('subject') ?? '',
    text: decodeBody(body, headers.get('content-transfer-encoding') ?? '7bit'),
  };
}

function decodeBody(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body, 'base64').toString('utf8');
    case 'quoted-printable': {
      const unfolded = body.replace(/=\r?\n/g, '');
      const bytes = unfolded.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) =>
        String.fromCharCode(parseInt(hex, 16)),
      );
      return Buffer.from(bytes, 'latin1').toString('utf8');
    }
    default:
      return Buffer.from(body, 'latin1').toString('utf8');
  }
}

/** Registers an account (202: the answer says nothing more) and returns its address. */
export async function register(displayName = 'Test', email = uniqueEmail()): Promise<string> {
  const { client } = createInkwellClient({ baseUrl: baseUrl() });
  await registerUser({ client, body: { email, password: PASSWORD, display_name: displayName } });
  return email;
}

/** Verifies the account's email with the token of the link its verification mail carries. */
export async function verify(email: string): Promise<void> {
  const { client } = createInkwellClient({ baseUrl: baseUrl() });
  await verifyEmail({ client, body: { token: await mailedToken(email, 'verify-email') } });
}

/**
 * Registers a new account and returns a client logged in as it. With `verified: true` its email
 * is verified first, through the mailed link, so that it can publish and comment.
 *
 * The server rate-limits per client address even in tests (by default 50 logins and 50 tries
 * of mailed tokens per 5 minutes, 60 anonymous writes such as registrations per minute) and
 * the whole suite comes from 127.0.0.1: it uses about 33 logins, 35 registrations and 9 tokens.
 * Share an account where a test does not need its own login, and verify only where it must.
 */
export async function loggedInClient(
  options: Partial<InkwellClientOptions> & { verified?: boolean } = {},
) {
  const { verified = false, ...clientOptions } = options;
  const email = await register();
  if (verified) {
    await verify(email);
  }
  const inkwell = createInkwellClient({ baseUrl: baseUrl(), ...clientOptions });
  await inkwell.login(email, PASSWORD);
  return { inkwell, email };
}
