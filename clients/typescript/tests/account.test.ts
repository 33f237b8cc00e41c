import {
  createInkwellClient,
  getCurrentUser,
  getUser,
  memoryTokenStore,
  ProblemError,
  refreshToken,
  registerUser,
  updateCurrentUser,
  type User,
} from '@inkwell/client';
import { describe, expect, it } from 'vitest';

import { baseUrl, loggedInClient, PASSWORD, recordingFetch, uniqueEmail } from './support.js';

describe('account', () => {
  it('registers a user and answers 201 with the typed user and its Location', async () => {
    const { client } = createInkwellClient({ baseUrl: baseUrl() });
    const email = uniqueEmail();

    const { data, response } = await registerUser({
      client,
      body: { email, password: PASSWORD, display_name: 'Ada Lovelace' },
    });

    const user: User = data;
    expect(response.status).toBe(201);
    expect(user).toMatchObject({ email, display_name: 'Ada Lovelace', role: 'user' });
    expect(response.headers.get('Location')).toBe(`/api/v1/users/${user.id}`);
  });

  it('logs in and reads /users/me as the logged-in user', async () => {
    const { inkwell, email } = await loggedInClient();

    const { data: me } = await getCurrentUser({ client: inkwell.client });
    const { data: same } = await getUser({ client: inkwell.client, path: { user_id: me.id } });

    expect(me.email).toBe(email);
    expect(same).toEqual(me);
    expect(await inkwell.hasLogin()).toBe(true);
  });

  it('sends the updated profile and returns the typed user', async () => {
    const { inkwell } = await loggedInClient();

    const { data } = await updateCurrentUser({
      client: inkwell.client,
      body: { display_name: 'Countess' },
    });

    expect(data.display_name).toBe('Countess');
  });

  it('turns a duplicate email into a 409 ProblemError', async () => {
    const { client } = createInkwellClient({ baseUrl: baseUrl() });
    const body = { email: uniqueEmail(), password: PASSWORD, display_name: 'Twice' };
    await registerUser({ client, body });

    const error = await registerUser({
      client,
      body: { ...body, email: body.email.toUpperCase() },
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProblemError);
    const problem = error as ProblemError;
    expect(problem.status).toBe(409);
    expect(problem.title).toBe('Conflict');
    expect(problem.requestId).toMatch(/.+/);
    expect(problem.fieldErrors()).toEqual({});
  });

  it('maps 422 errors[] to field errors a form can show', async () => {
    const { client } = createInkwellClient({ baseUrl: baseUrl() });

    const error = await registerUser({
      client,
      body: { email: 'not-an-email', password: 'short', display_name: 'Bad' },
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProblemError);
    const problem = error as ProblemError;
    expect(problem.status).toBe(422);
    const fields = problem.fieldErrors();
    expect(Object.keys(fields).sort()).toEqual(['email', 'password']);
    expect(fields.password).toMatch(/8/);
    expect(problem.errors?.map((e) => e.location).sort()).toEqual(['body.email', 'body.password']);
  });

  it('answers a wrong password with a 401 ProblemError and never tries to refresh', async () => {
    const recorder = recordingFetch();
    const { inkwell, email } = await loggedInClient({ fetch: recorder.fetch });

    const error = await inkwell.login(email, 'wrong password!').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).status).toBe(401);
    expect(recorder.count('/api/v1/auth/refresh')).toBe(0);
  });

  it('logs out: the tokens are gone here and the refresh token is revoked on the server', async () => {
    const recorder = recordingFetch();
    const tokenStore = memoryTokenStore();
    const { inkwell } = await loggedInClient({ fetch: recorder.fetch, tokenStore });
    const issued = await tokenStore.getRefreshToken();
    expect(issued).toEqual(expect.any(String));

    await inkwell.logout();

    expect(await inkwell.hasLogin()).toBe(false);
    expect(await tokenStore.getRefreshToken()).toBeNull();
    expect(recorder.count('/api/v1/auth/logout')).toBe(1);
    const error = await refreshToken({
      client: inkwell.client,
      body: { refresh_token: issued! },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).status).toBe(401);
  });

  it('logs out for good even while a refresh is under way', async () => {
    const tokenStore = memoryTokenStore();
    const { inkwell } = await loggedInClient({ tokenStore });

    const refreshing = inkwell.refresh();
    await inkwell.logout();
    await refreshing;

    expect(await inkwell.hasLogin()).toBe(false);
    expect(await tokenStore.getRefreshToken()).toBeNull();
  });
});
