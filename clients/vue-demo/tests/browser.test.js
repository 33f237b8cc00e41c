// @ts-check
// The demo in a real Chromium against a live API: build it for that API, serve it with
// `vite preview`, and go through it as a user would. Run through `nox -s client`, or see
// README.md for running it by hand. Screenshots land in reports/browser/.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
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

const USER = {
  email: `vue-demo-${randomUUID()}@example.com`,
  password: 'correct horse battery staple',
  display_name: 'Demo Writer',
};
const TITLE = 'Hello from the browser';
const LONG_TITLE = 'A post longer than its excerpt';
const PAGE_SIZE = 10; // src/posts.ts

/** @type {import('vite').PreviewServer} */
let server;
/** @type {import('playwright-core').BrowserContext} */
let browser;
/** @type {import('playwright-core').Page} */
let page;
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

const screenshot = (/** @type {string} */ name) =>
  page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

let failed = false;
/**
 * A step on the shared page. Steps build on each other, so after a failure the rest skip
 * rather than fail for the same reason; each step leaves a screenshot, a failing one too.
 */
function step(
  /** @type {string} */ name,
  /** @type {string} */ shot,
  /** @type {() => Promise<void>} */ body,
) {
  test(name, async (t) => {
    if (failed) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await body();
      await screenshot(shot);
    } catch (error) {
      failed = true;
      await screenshot(`${shot}-FAILED`).catch(() => undefined);
      t.diagnostic(`console errors in the page: ${JSON.stringify(consoleErrors)}`);
      throw error;
    }
  });
}

describe('the Vue demo in Chromium', () => {
  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    const outDir = await mkdtemp(join(tmpdir(), 'vue-demo-dist-'));
    const profile = await mkdtemp(join(tmpdir(), 'vue-demo-chromium-'));
    temporary.push(outDir, profile);
    // Vite reads VITE_* from the environment at build time, before any .env file.
    process.env.VITE_INKWELL_API = API;
    await build({ root: DEMO, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await preview({
      root: DEMO,
      logLevel: 'warn',
      build: { outDir },
      preview: { port: DEMO_PORT },
    });
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 720 },
    });
    browser.setDefaultTimeout(15_000);
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (error) => pageErrors.push(error));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await Promise.all(temporary.map((path) => rm(path, { recursive: true, force: true })));
  });

  step('registers and is logged in', '1-registered', async () => {
    await page.goto(DEMO_URL);
    await page.getByRole('link', { name: 'Log in' }).click();
    await page.locator('#register-email').fill(USER.email);
    await page.locator('#register-password').fill(USER.password);
    await page.locator('#register-name').fill(USER.display_name);
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByText(`Signed in as ${USER.display_name}`).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    // The sign-in's device token is kept beside the login, for the next sign-in from here.
    const device = await page.evaluate(() => localStorage.getItem('inkwell.device'));
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

  step('writes a draft, publishes it and lists it', '3-published', async () => {
    await page.locator('#title').fill(TITLE);
    await page.locator('#tags').fill('demo, browser-test');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Draft', { exact: true }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/posts\/[0-9a-f-]{36}\/edit$/);
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('heading', { name: TITLE }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
  });

  step('loads the next page when the list is scrolled to its end', '4-scrolled', async () => {
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
    '6-saved-after-reload',
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
      await screenshot('5-conflict-message');

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

  step('lists an excerpt and opens the whole post', '7-post-opened', async () => {
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

  test('had no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
