/**
 * What both TypeScript flows share: the live server's address, the mail it sends, and a
 * step log that stops the flow at the first answer the contract does not promise.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const PASSWORD = 'correct horse battery staple';
const MAIL_WAIT_MS = 20_000;

function env(name: 'INKWELL_BASE_URL' | 'INKWELL_MAIL_DIR'): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the flows under contracts_tests.live_server`);
  }
  return value;
}

/** The live server (`python -m contracts_tests.live_server -- ...`). */
export const baseUrl = (): string => env('INKWELL_BASE_URL');

export const uniqueEmail = (generator: string): string =>
  `${generator}-${randomUUID()}@example.com`;

export class FlowError extends Error {}

/** Logs a step that answered `expected`; throws FlowError when it answered anything else. */
export function step(name: string, status: number, expected: number, detail?: unknown): void {
  if (status !== expected) {
    throw new FlowError(`${name}: expected ${expected}, got ${status}: ${JSON.stringify(detail)}`);
  }
  console.log(`  ok  ${name} (${status})`);
}

export function check(condition: boolean, what: string): void {
  if (!condition) {
    throw new FlowError(what);
  }
}

/** Runs a flow: exit status 0 when it completes, 1 when a step fails. */
export async function runFlow(generator: string, flow: () => Promise<void>): Promise<void> {
  console.log(`${generator}:`);
  try {
    await flow();
    console.log(`${generator}: the full flow passed`);
  } catch (error) {
    console.error(`  FAILED  ${error instanceof FlowError ? error.message : String(error)}`);
    if (!(error instanceof FlowError)) {
      console.error(error);
    }
    process.exitCode = 1;
  }
}

/** The decoded text of a single-part mail (7bit, 8bit, quoted-printable or base64). */
function mailText(raw: string): { to: string; text: string } {
  const split = /\r?\n\r?\n/.exec(raw);
  const head = split ? raw.slice(0, split.index).replace(/\r?\n[ \t]+/g, ' ') : raw;
  const body = split ? raw.slice(split.index + split[0].length) : '';
  const header = (name: string) =>
    new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  let text = body;
  if (encoding === 'base64') {
    text = Buffer.from(body, 'base64').toString('utf8');
  } else if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    text = Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return { to: header('To'), text };
}

/**
 * The `token` of the newest mailed link to `page` for `to`, waiting for the server's worker
 * to send it. The mail sink saves each mail whole under a name that sorts by arrival.
 */
export async function mailedToken(to: string, page: 'verify-email'): Promise<string> {
  const folder = env('INKWELL_MAIL_DIR');
  const deadline = Date.now() + MAIL_WAIT_MS;
  while (Date.now() < deadline) {
    const names = (await readdir(folder)).filter((name) => name.endsWith('.eml')).sort();
    for (const name of names.reverse()) {
      const mail = mailText((await readFile(join(folder, name))).toString('latin1'));
      if (!mail.to.toLowerCase().includes(to.toLowerCase())) {
        continue;
      }
      for (const [href] of mail.text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
        const link = new URL(href);
        const token = link.searchParams.get('token');
        if (link.pathname.replace(/\/$/, '').endsWith(`/${page}`) && token) {
          return token;
        }
      }
    }
    await sleep(100);
  }
  throw new FlowError(`no mail to ${to} with a /${page} link within ${MAIL_WAIT_MS} ms`);
}

/**
 * Asserts that an answer typed as a union over its statuses (orval's `{ data, status }`) has
 * `status`, and narrows it to that member: the flow reads the body typed as the spec says.
 */
export function expectStatus<R extends { status: number; data?: unknown }, S extends R['status']>(
  name: string,
  answer: R,
  status: S,
): asserts answer is Extract<R, { status: S }> {
  step(name, answer.status, status, answer.data);
}
