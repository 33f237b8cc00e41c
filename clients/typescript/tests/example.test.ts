import { readdirSync, readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { accountFlow, EMAIL_NOT_VERIFIED } from '../examples/account-flow.js';
import { baseUrl, mailedToken, uniqueEmail } from './support.js';

describe('examples/account-flow.ts', () => {
  it('registers, logs in, verifies the email, writes and lists a post, refreshes, logs out against the live server', async () => {
    const email = uniqueEmail();

    const result = await accountFlow(baseUrl(), email, (to) => mailedToken(to, 'verify-email'));

    expect(Object.keys(result.formErrors)).toEqual(['password']);
    expect(result.registered).toEqual({ detail: expect.any(String) });
    expect(result.unverified).toMatchObject({
      email,
      display_name: 'Ada Lovelace',
      role: 'user',
      email_verified: false,
    });
    expect(result.refused).toMatchObject({ status: 403, type: EMAIL_NOT_VERIFIED });
    expect(result.me).toEqual({ ...result.unverified, email_verified: true });
    expect(result.published).toMatchObject({ status: 'published', author: { id: result.me.id } });
    expect(result.listed.map((post) => post.id)).toEqual([result.published.id]);
    // A short body is its own excerpt; the opened post is the published one, body and all.
    expect(result.listed[0]).not.toHaveProperty('body');
    expect(result.listed[0]?.excerpt).toBe(result.published.body);
    expect(result.opened).toEqual(result.published);
    expect(result.renamed).toMatchObject({
      id: result.me.id,
      display_name: 'Countess of Lovelace',
    });
    expect(result.loggedInAfterLogout).toBe(false);
  });

  it('imports nothing but the package entry', () => {
    const folder = new URL('../examples/', import.meta.url);
    for (const file of readdirSync(folder)) {
      const source = readFileSync(new URL(file, folder), 'utf8');
      const imported = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
      expect(new Set(imported), file).toEqual(new Set(['@inkwell/client']));
    }
  });
});
