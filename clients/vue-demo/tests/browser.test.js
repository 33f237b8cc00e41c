// @ts-check
// The demo in a real Chromium against a live API: build it for that API, serve it with
// `vite preview`, and go through it as a user would, following the links the API mails. Run
// through `nox -s client`, or see README.md for running it by hand. Screenshots land in
// reports/browser/.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  createInkwellClient,
  createPost,
  getPost,
  ifMatch,
  publishPost,
  updatePost,
  withETag,
} from '@inkwell/client';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

const DEMO = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../../reports/browser/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags, Chromium's own connections on these machines make
// it refuse the page's; the profile is a fresh folder per run (launchPersistentContext).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The server's CORS_ORIGINS must list the demo's origin, so both come from the caller. */
function required(/** @type {string} */ name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run this test through \`nox -s client\` (README.md)`);
  }
  return value;
}
const API = required('INKWELL_BASE_URL');
const DEMO_PORT = Number(required('DEMO_PORT'));
const DEMO_URL = `http://127.0.0.1:${DEMO_PORT}`;
// Where the live server's mail sink saves each mail as an .eml file (contracts_tests.live_server).
const MAIL_DIR = required('INKWELL_MAIL_DIR');
// The live server's database, when the runner names it: refreshes are then counted there too.
const DATABASE_URL = process.env.INKWELL_DATABASE_URL;
const REFRESH = '/api/v1/auth/refresh';

const USER = {
  email: `vue-demo-${randomUUID()}@example.com`,
  password: 'correct horse battery staple',
  display_name: 'Demo Writer',
};
const NEW_PASSWORD = 'a new and longer pass phrase';
const TITLE = 'Hello from the browser';
const LONG_TITLE = 'A post longer than its excerpt';
const PAGE_SIZE = 10; // src/posts.ts

/** @type {import('vite').PreviewServer} */
let server;
/** @type {import('playwright-core').BrowserContext} */
let browser;
/** @type {import('playwright-core').Page} */
let page;
/** A second browser (its own profile and storage): the user's other device. */
/** @type {import('playwright-core').BrowserContext | undefined} */
let otherBrowser;
/** @type {import('playwright-core').Page} */
let other;
/** A second tab of the first browser: the same IndexedDB, and so the same login. */
/** @type {import('playwright-core').Page} */
let tab;
/** The edit page of the draft written before the email was verified. */
let draftPath = '';
/** @type {string[]} */
const temporary = [];
/** @type {Error[]} */
const pageErrors = [];
/** @type {string[]} */
const consoleErrors = [];
/** The same user as the page, through the API: to change things behind the page's back. */
const api = createInkwellClient({ baseUrl: API });

/** Polls `check` until it holds: for what the page shows after an answer arrives. */
async function eventually(/** @type {() => Promise<boolean>} */ check, /** @type {string} */ what) {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(100);
  }
}

const screenshot = (/** @type {string} */ name, on = page) =>
  on.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

/** A Chromium with a fresh profile, its first page reporting uncaught and console errors. */
async function launch() {
  const profile = await mkdtemp(join(tmpdir(), 'vue-demo-chromium-'));
  temporary.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 720 },
  });
  context.setDefaultTimeout(15_000);
  const first = context.pages()[0] ?? (await context.newPage());
  return { context, page: watched(first) };
}

/** The page, its uncaught and console errors collected for the report. */
function watched(/** @type {import('playwright-core').Page} */ on) {
  on.on('pageerror', (error) => pageErrors.push(error));
  on.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  return on;
}

/**
 * The refresh tokens the server issued to `email` (one per sign-in and one per refresh), and
 * how many of them are revoked (a refresh token presented twice revokes its whole login).
 * @param {string} databaseUrl the live server's, as SQLAlchemy writes it
 * @param {string} email
 */
async function refreshTokens(databaseUrl, email) {
  // postgresql+asyncpg://user@/db?host=/socket/dir: libpq's fields, in pg's terms (a URL
  // may not have a user and no host: the socket folder in `?host=` replaces the stand-in).
  const url = new URL(
    databaseUrl.replace(/^postgresql\+\w+:/, 'postgresql:').replace(/@\//, '@localhost/'),
  );
  const db = new pg.Client({
    user: decodeURIComponent(url.username) || undefined,
    password: decodeURIComponent(url.password) || undefined,
    host: url.searchParams.get('host') ?? (url.hostname || undefined),
    port: url.port ? Number(url.port) : undefined,
    database: decodeURIComponent(url.pathname.slice(1)) || undefined,
  });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT count(*)::int AS issued, count(*) FILTER (WHERE t.revoked_at IS NOT NULL)::int AS revoked
         FROM refresh_tokens t JOIN users u ON u.id = t.user_id
        WHERE lower(u.email) = lower($1)`,
      [email],
    );
    return /** @type {{ issued: number, revoked: number }} */ (rows[0]);
  } finally {
    await db.end();
  }
}

/**
 * What the demo's token store (indexedDbTokenStore(): database `inkwell`, object store
 * `tokens`) holds under `key` in the browser of `on`.
 * @param {import('playwright-core').Page} on
 * @param {'refresh_token' | 'device'} key
 * @returns {Promise<string | null>}
 */
function stored(on, key) {
  return on.evaluate(
    (key) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('inkwell');
        // As the store creates it, should this read come first.
        open.onupgradeneeded = () => open.result.createObjectStore('tokens');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const read = db.transaction('tokens').objectStore('tokens').get(key);
          read.onsuccess = () => resolve(read.result ?? null);
          read.onerror = () => reject(read.error);
          db.close(); // once the transaction ends
        };
      }),
    key,
  );
}

/**
 * The recipient and text of a mail as the sink saved it: one text part, as Python's
 * EmailMessage writes it (folded headers; a body in 7bit, quoted-printable or base64).
 * @param {Buffer} raw
 */
function parseMail(raw) {
  const source = raw.toString('latin1');
  const split = /\r?\n\r?\n/.exec(source);
  const head = split ? source.slice(0, split.index) : source;
  const body = split ? source.slice(split.index + split[0].length) : '';
  /** @type {Map<string, string>} */
  const headers = new Map();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  let text = Buffer.from(body, 'latin1').toString('utf8');
  if (encoding === 'base64') {
    text = Buffer.from(body, 'base64').toString('utf8');
  } else if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    text = Buffer.from(bytes, 'latin1').toString('utf8');
  }
  const to = headers.get('to') ?? '';
  return { to: /<([^>]+)>/.exec(to)?.[1] ?? to, text };
}

/**
 * The link to the app's `/${page}` in the newest mail to `to`, waiting for the API's worker to
 * send it. The sink names files by arrival time and renames each into place once written.
 * @param {string} to
 * @param {'verify-email' | 'reset-password'} page
 */
async function mailedLink(to, page) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const names = (await readdir(MAIL_DIR)).filter((name) => name.endsWith('.eml')).sort();
    for (const name of names.reverse()) {
      const mail = parseMail(await readFile(join(MAIL_DIR, name)));
      if (mail.to.toLowerCase() !== to.toLowerCase()) continue;
      for (const [href] of mail.text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
        const link = new URL(href);
        if (link.pathname.endsWith(`/${page}`)) {
          return link;
        }
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`no mail to ${to} with a /${page} link in ${MAIL_DIR} within 20 s`);
    }
    await sleep(100);
  }
}

/**
 * The mailed link as the browser opens it. `nox -s client` sets the server's APP_URL to this
 * demo, so the link is opened as mailed; run by hand without it, the link names the default
 * APP_URL and is moved onto the demo's origin.
 * @param {URL} link
 */
function onDemo(link) {
  if (process.env.APP_URL) {
    assert.equal(link.origin, new URL(process.env.APP_URL).origin);
  }
  return new URL(`${link.pathname}${link.search}`, DEMO_URL).href;
}

let failed = false;
/**
 * A step on the shared page. Steps build on each other, so after a failure the rest skip
 * rather than fail for the same reason; each step leaves a screenshot, a failing one too.
 */
function step(
  /** @type {string} */ name,
  /** @type {string} */ shot,
  /** @type {() => Promise<void>} */ body,
  on = () => page,
) {
  test(name, async (t) => {
    if (failed) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await body();
      await screenshot(shot, on());
    } catch (error) {
      failed = true;
      await screenshot(`${shot}-FAILED`, on()).catch(() => undefined);
      t.diagnostic(`console errors in the page: ${JSON.stringify(consoleErrors)}`);
      throw error;
    }
  });
}

describe('the Vue demo in Chromium', () => {
  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    const outDir = await mkdtemp(join(tmpdir(), 'vue-demo-dist-'));
    temporary.push(outDir);
    // Vite reads VITE_* from the environment at build time, before any .env file.
    process.env.VITE_INKWELL_API = API;
    await build({ root: DEMO, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await preview({
      root: DEMO,
      logLevel: 'warn',
      build: { outDir },
      preview: { port: DEMO_PORT },
    });
    ({ context: browser, page } = await launch());
  });

  after(async () => {
    await otherBrowser?.close();
    await browser?.close();
    await server?.close();
    await Promise.all(temporary.map((path) => rm(path, { recursive: true, force: true })));
  });

  step('registers, is logged in, and is asked to verify the email', '1-registered', async () => {
    await page.goto(DEMO_URL);
    await page.getByRole('link', { name: 'Log in' }).click();
    await page.locator('#register-email').fill(USER.email);
    await page.locator('#register-password').fill(USER.password);
    await page.locator('#register-name').fill(USER.display_name);
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByText(`Signed in as ${USER.display_name}`).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    // Registration signs nobody in and verifies nothing: the page signed in, and says what's next.
    const banner = page.getByRole('region', { name: 'Email verification' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /Check your mail/);
    assert.ok((await banner.innerText()).includes(USER.email));
    assert.equal(await banner.getByRole('button', { name: 'Resend the link' }).count(), 1);
    // The sign-in's device token is kept beside the login, for the next sign-in from here.
    const device = await stored(page, 'device');
    assert.match(device ?? '', /^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}$/);
  });

  step('shows 422 field errors next to their fields', '2-field-errors', async () => {
    await page.getByRole('link', { name: 'Write' }).click();
    await page.locator('#body').fill('A post without a title.');
    await page.locator('#tags').fill('Not A Tag');
    await page.getByRole('button', { name: 'Save draft' }).click();
    const titleError = page.locator('#title-error');
    await titleError.waitFor();
    assert.match(await titleError.innerText(), /at least 1 character/);
    assert.match(await page.locator('#tags-error').innerText(), /pattern/);
    assert.equal(await page.locator('#title').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#body-error').count(), 0);
  });

  step(
    'writes a draft, and may not publish it before the email is verified',
    '3-publish-refused',
    async () => {
      await page.locator('#title').fill(TITLE);
      await page.locator('#tags').fill('demo, browser-test');
      await page.getByRole('button', { name: 'Save draft' }).click();
      await page.getByText('Draft', { exact: true }).waitFor();
      draftPath = new URL(page.url()).pathname;
      assert.match(draftPath, /^\/posts\/[0-9a-f-]{36}\/edit$/);
      await page.getByRole('button', { name: 'Publish' }).click();
      const refused = page.getByRole('alert').filter({ hasText: 'Not published.' });
      await refused.waitFor();
      assert.match(await refused.innerText(), /Verify your email to publish/);
      assert.equal(new URL(page.url()).pathname, draftPath);
    },
  );

  step('verifies the email by opening the mailed link', '5-verification-link-used', async () => {
    const link = await mailedLink(USER.email, 'verify-email');
    await page.goto(onDemo(link));
    await page.getByText('Your email address is verified').waitFor();
    const banner = page.getByRole('region', { name: 'Email verification' });
    await eventually(async () => (await banner.count()) === 0, 'the banner to go');
    await screenshot('4-email-verified');

    // A link works once: opened again, the page shows the API's invalid-token problem.
    await page.goto(onDemo(link));
    const used = page.getByRole('alert');
    await used.waitFor();
    assert.match(await used.innerText(), /invalid, used or expired/);
    await page.getByText('is verified already').waitFor();
  });

  step('publishes the draft and lists it', '6-published', async () => {
    await page.goto(`${DEMO_URL}${draftPath}`);
    await page.getByText('Draft', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('heading', { name: TITLE }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
  });

  step('loads the next page when the list is scrolled to its end', '7-scrolled', async () => {
    await api.login(USER.email, USER.password);
    for (let n = 1; n <= PAGE_SIZE + 1; n += 1) {
      const body = `Seeded through the API so that the list has a second page. ${'Lorem ipsum. '.repeat(8)}`;
      const { data } = await createPost({
        client: api.client,
        body: { title: `Seeded ${n}`, body },
      });
      await publishPost({ client: api.client, path: { post_id: data.id } });
    }
    await page.reload();
    const posts = page.locator('article.post');
    await posts.nth(PAGE_SIZE - 1).waitFor();
    // Give an eager second fetch (the end of the list wrongly in view) the time to show.
    await sleep(500);
    assert.equal(await posts.count(), PAGE_SIZE);
    assert.equal(await page.getByText('No more posts.').count(), 0);

    await page.locator('.list-end').scrollIntoViewIfNeeded();
    await page.getByText('No more posts.').waitFor();
    assert.equal(await posts.count(), PAGE_SIZE + 2);
  });

  step(
    'says so when the post was changed elsewhere, and reloads it',
    '9-saved-after-reload',
    async () => {
      await page.locator('article', { hasText: TITLE }).getByRole('link', { name: 'Edit' }).click();
      const title = page.locator('#title');
      await eventually(async () => (await title.inputValue()) === TITLE, 'the post in the form');
      await title.fill('Edited in the page');

      const post_id = page.url().split('/').at(-2) ?? '';
      const read = await withETag(getPost({ client: api.client, path: { post_id } }));
      await updatePost({
        client: api.client,
        path: { post_id },
        body: { title: 'Changed elsewhere' },
        headers: ifMatch(read.etag),
      });

      await page.getByRole('button', { name: 'Save', exact: true }).click();
      const conflict = page.locator('.conflict');
      await conflict.waitFor();
      assert.match(await conflict.innerText(), /This post was changed elsewhere/);
      await screenshot('8-conflict-message');

      await conflict.getByRole('button', { name: 'Reload' }).click();
      await eventually(
        async () => (await title.inputValue()) === 'Changed elsewhere',
        'the reload',
      );
      await title.fill('Edited after reloading');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Saved.').waitFor();
      const { data: saved } = await getPost({ client: api.client, path: { post_id } });
      assert.equal(saved.title, 'Edited after reloading');
    },
  );

  step('lists an excerpt and opens the whole post', '10-post-opened', async () => {
    // Longer than an excerpt (280 characters): the list shows its start, the post all of it.
    const opening = 'The start of a long post. ';
    const ending = 'The very end of the long post.';
    const body = `${opening}${'Lorem ipsum dolor sit amet. '.repeat(20)}${ending}`;
    const { data } = await createPost({
      client: api.client,
      body: { title: LONG_TITLE, body },
    });
    await publishPost({ client: api.client, path: { post_id: data.id } });

    await page.goto(DEMO_URL);
    const listed = page.locator('article.post', { hasText: LONG_TITLE });
    const excerpt = listed.locator('.excerpt');
    await excerpt.waitFor();
    assert.equal(await excerpt.innerText(), `${[...body].slice(0, 280).join('')}…`);
    assert.equal(await listed.getByText(ending).count(), 0);

    await listed.getByRole('link', { name: LONG_TITLE }).click();
    await page.getByRole('heading', { name: LONG_TITLE, level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/posts/${data.id}`);
    assert.equal(await page.locator('.post-body').innerText(), body);
  });

  step(
    'asks for a reset link from "Forgot password?" on another device',
    '11-reset-link-sent',
    async () => {
      ({ context: otherBrowser, page: other } = await launch());
      await other.goto(DEMO_URL);
      await other.getByRole('link', { name: 'Log in' }).click();
      await other.getByRole('link', { name: 'Forgot password?' }).click();
      assert.equal(new URL(other.url()).pathname, '/forgot-password');
      await other.locator('#forgot-email').fill(USER.email);
      await other.getByRole('button', { name: 'Send the link' }).click();
      // The same answer whether or not the address has an account.
      await other.getByRole('status').getByText('If the address has an account').waitFor();
    },
    () => other,
  );

  step(
    'sets a new password through the mailed link, and logs in with it',
    '13-logged-in-with-new-password',
    async () => {
      const link = await mailedLink(USER.email, 'reset-password');
      await other.goto(onDemo(link));
      await other.locator('#new-password').fill(NEW_PASSWORD);
      await other.getByRole('button', { name: 'Set the new password' }).click();
      await other.getByText('Your password is changed').waitFor();
      assert.equal(new URL(other.url()).pathname, '/login');
      await screenshot('12-password-changed', other);

      await other.locator('#login-email').fill(USER.email);
      await other.locator('#login-password').fill(NEW_PASSWORD);
      await other.getByRole('button', { name: 'Log in' }).click();
      await other.getByText(`Signed in as ${USER.display_name}`).waitFor();
    },
    () => other,
  );

  step(
    'ends the old session: the first browser, holding the old tokens, is logged out',
    '16-logged-in-again',
    async () => {
      // Still showing the user as signed in, with tokens the reset revoked: its next request
      // is refused, the refresh too, and the app goes to the login page.
      await page.getByText(`Signed in as ${USER.display_name}`).waitFor();
      await page.getByRole('link', { name: 'Write' }).click();
      await page.locator('#title').fill('Written after the reset');
      await page.locator('#body').fill('This must not be saved.');
      await page.getByRole('button', { name: 'Save draft' }).click();
      await page.locator('#login-email').waitFor();
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(await page.getByRole('link', { name: 'Log in' }).count(), 1);
      assert.equal(await stored(page, 'refresh_token'), null);
      await screenshot('14-old-session-ended');

      await page.locator('#login-email').fill(USER.email);
      await page.locator('#login-password').fill(USER.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').waitFor(); // the old password no longer works
      await screenshot('15-old-password-refused');
      await page.locator('#login-password').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText(`Signed in as ${USER.display_name}`).waitFor();
    },
  );

  step(
    'two tabs whose access tokens expire together refresh once, and both stay signed in',
    '18-two-tabs-saved',
    async () => {
      tab = watched(await browser.newPage());
      // The second tab shares the first one's login, from IndexedDB, and both write a post.
      await tab.goto(DEMO_URL);
      for (const on of [page, tab]) {
        await on.getByText(`Signed in as ${USER.display_name}`).waitFor();
        await on.getByRole('link', { name: 'Write' }).click();
        await on
          .locator('#title')
          .fill(`Saved from ${on === page ? 'the first' : 'the second'} tab`);
        await on.locator('#body').fill('Saved while its access token had expired.');
      }
      const issued = DATABASE_URL ? await refreshTokens(DATABASE_URL, USER.email) : undefined;
      const before = await stored(page, 'refresh_token');

      // Until a refresh has answered, the API sees every access token as expired: a request
      // carrying one goes out with a broken signature, and the real server answers 401. Neither
      // tab hears its 401 before the other tab has had one too, so both need a new access token
      // at once; the refresh is held a moment, so a tab that did not wait its turn would send
      // its own. Every token sent after the refresh is recorded.
      /** @type {Set<import('playwright-core').Page>} */
      const rejected = new Set();
      let bothRejected = () => {};
      const together = new Promise((resolve) => (bothRejected = () => resolve(undefined)));
      let refreshes = 0;
      /** @type {string | undefined} the access token the one refresh answered */
      let renewed;
      /** @type {Set<string>} */
      const sentAfter = new Set();
      /** @param {import('playwright-core').Route} route */
      const expire = async (route) => {
        const request = route.request();
        const headers = await request.allHeaders();
        if (new URL(request.url()).pathname === REFRESH && request.method() === 'POST') {
          refreshes += 1;
          await sleep(500);
          const response = await route.fetch();
          if (response.ok()) renewed ??= (await response.json()).access_token;
          await route.fulfill({ response });
        } else if (headers.authorization && renewed !== undefined) {
          sentAfter.add(headers.authorization);
          await route.continue();
        } else if (headers.authorization) {
          const response = await route.fetch({
            headers: { ...headers, authorization: `${headers.authorization}-expired` },
          });
          rejected.add(request.frame().page());
          if (rejected.size === 2) bothRejected();
          await together;
          await route.fulfill({ response });
        } else {
          await route.continue();
        }
      };
      await browser.route(`${API}/api/v1/**`, expire);
      try {
        await Promise.all(
          [page, tab].map((on) => on.getByRole('button', { name: 'Save draft' }).click()),
        );
        for (const on of [page, tab]) {
          await on.getByText('Draft', { exact: true }).waitFor();
          assert.match(new URL(on.url()).pathname, /^\/posts\/[0-9a-f-]{36}\/edit$/);
        }
      } finally {
        await browser.unroute(`${API}/api/v1/**`, expire);
      }
      await screenshot('17-first-tab-saved');

      assert.equal(rejected.size, 2, 'both tabs had a 401');
      assert.equal(refreshes, 1, 'the tabs asked for one refresh between them');
      const rotated = await stored(page, 'refresh_token');
      assert.ok(rotated && rotated !== before);
      for (const on of [page, tab]) {
        await on.getByText(`Signed in as ${USER.display_name}`).waitFor();
        assert.equal(await stored(on, 'refresh_token'), rotated);
      }
      // Both tabs' retries carried the one new access token, and the server still honours it:
      // a refresh token presented twice would have revoked the login, and its access tokens.
      assert.deepEqual([...sentAfter], [`Bearer ${renewed}`], 'both tabs used the new token');
      const me = await fetch(`${API}/api/v1/users/me`, {
        headers: { Authorization: `Bearer ${renewed}` },
      });
      assert.equal(me.status, 200);
      if (issued !== undefined && DATABASE_URL) {
        assert.deepEqual(await refreshTokens(DATABASE_URL, USER.email), {
          issued: issued.issued + 1,
          revoked: issued.revoked,
        });
      }
    },
    () => tab,
  );

  step(
    'a logout in one tab signs the other tab out',
    '19-logged-out-in-the-other-tab',
    async () => {
      let refreshes = 0;
      /** @param {import('playwright-core').Request} request */
      const count = (request) => {
        if (request.url() === `${API}${REFRESH}` && request.method() === 'POST') refreshes += 1;
      };
      browser.on('request', count);
      try {
        await tab.getByRole('button', { name: 'Log out' }).click();
        await tab.getByRole('link', { name: 'Log in' }).waitFor();
        // The first tab is told, and goes to the login page without asking the API anything.
        await page.locator('#login-email').waitFor();
        assert.equal(new URL(page.url()).pathname, '/login');
        assert.equal(await page.getByRole('link', { name: 'Log in' }).count(), 1);
      } finally {
        browser.off('request', count);
      }
      assert.equal(refreshes, 0);
      assert.equal(await stored(page, 'refresh_token'), null);
    },
  );

  test('had no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
