import {
  type Accepted,
  createComment,
  createInkwellClient,
  createPost,
  getCurrentUser,
  getUser,
  memoryTokenStore,
  ProblemError,
  publishPost,
  refreshToken,
  registerUser,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  SessionExpiredError,
  updateCurrentUser,
  verifyEmail,
} from '@inkwell/client';
import { describe, expect, it } from 'vitest';

import {
  baseUrl,
  linkTo,
  loggedInClient,
  mailedToken,
  mailTo,
  PASSWORD,
  recordingFetch,
  uniqueEmail,
} from './support.js';

const EMAIL_NOT_VERIFIED = '/problems/email-not-verified';
const INVALID_TOKEN = '/problems/invalid-token';

/** The ProblemError a call rejected with (the test fails if it resolved). */
async function refusal(call: Promise<unknown>): Promise<ProblemError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}

describe('account', () => {
  it('registers with a 202 that says nothing more, and mails a verification link', async () => {
    const { client } = createInkwellClient({ baseUrl: baseUrl() });
    const email = uniqueEmail();

    const { data, response } = await registerUser({
      client,
      body: { email, password: PASSWORD, display_name: 'Ada Lovelace' },
    });

    const accepted: Accepted = data;
    expect(response.status).toBe(202);
    expect(accepted).toEqual({ detail: expect.any(String) });
    expect(response.headers.get('Location')).toBeNull();
    const mail = await mailTo(email, 'verify-email');
    expect(linkTo(mail, 'verify-email')?.searchParams.get('token')).toMatch(/^[\w-]+$/);
  });

  it('answers a taken address exactly like a new one, and mails its owner instead', async () => {
    const { client } = createInkwellClient({ baseUrl: baseUrl() });
    const body = { email: uniqueEmail(), password: PASSWORD, display_name: 'Twice' };
    const first = await registerUser({ client, body });
    const verification = await mailTo(body.email, 'verify-email');

    const again = await registerUser({
      client,
      body: { ...body, email: body.email.toUpperCase() },
    });

    expect(again.response.status).toBe(202);
    expect(again.data).toEqual(first.data);
    // The owner hears of it, with the way back in should it have been them.
    const notice = await mailTo(body.email, 'forgot-password', verification);
    expect(linkTo(notice, 'verify-email')).toBeUndefined();
  });

  it('logs in and reads /users/me as the logged-in user', async () => {
    const { inkwell, email } = await loggedInClient();

    const { data: me } = await getCurrentUser({ client: inkwell.client });
    const { data: same } = await getUser({ client: inkwell.client, path: { user_id: me.id } });

    expect(me).toMatchObject({ email, email_verified: false, notify_on_comment: true });
    expect(same).toEqual(me);
    expect(await inkwell.hasLogin()).toBe(true);
  });

  it('sends the updated profile and returns the typed user', async () => {
    const { inkwell } = await loggedInClient();

    const { data } = await updateCurrentUser({
      client: inkwell.client,
      body: { display_name: 'Countess', notify_on_comment: false },
    });

    expect(data).toMatchObject({ display_name: 'Countess', notify_on_comment: false });
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
    expect(problem.title).toBe('Unprocessable Entity');
    expect(problem.requestId).toMatch(/.+/);
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

describe('email verification', () => {
  it('lets an unverified account write drafts but not publish or comment, until it follows the mailed link', async () => {
    const author = await loggedInClient({ verified: true });
    const { data: published } = await createPost({
      client: author.inkwell.client,
      body: { title: 'Open for comments', body: 'Say something.' },
    });
    await publishPost({ client: author.inkwell.client, path: { post_id: published.id } });
    const { inkwell, email } = await loggedInClient();
    const { client } = inkwell;
    const { data: draft } = await createPost({ client, body: { title: 'Mine', body: 'Draft' } });
    const comment = () =>
      createComment({ client, path: { post_id: published.id }, body: { body: 'Hello' } });

    const refusals = [
      await refusal(publishPost({ client, path: { post_id: draft.id } })),
      await refusal(comment()),
    ];
    for (const problem of refusals) {
      expect(problem).toMatchObject({ status: 403, type: EMAIL_NOT_VERIFIED });
    }

    const token = await mailedToken(email, 'verify-email');
    const anonymous = createInkwellClient({ baseUrl: baseUrl() });
    const { response } = await verifyEmail({ client: anonymous.client, body: { token } });
    expect(response.status).toBe(204);

    const { data: me } = await getCurrentUser({ client });
    expect(me.email_verified).toBe(true);
    const { data: now } = await publishPost({ client, path: { post_id: draft.id } });
    expect(now.status).toBe('published');
    expect((await comment()).response.status).toBe(201);
    // A link works once.
    const reused = await refusal(verifyEmail({ client: anonymous.client, body: { token } }));
    expect(reused).toMatchObject({ status: 400, type: INVALID_TOKEN });
  });

  it('mails a new link on request, and answers 409 once the email is verified', async () => {
    const { inkwell, email } = await loggedInClient();
    const { client } = inkwell;
    const first = await mailTo(email, 'verify-email');

    const { data, response } = await resendVerification({ client });

    expect(response.status).toBe(202);
    expect(data.detail).toEqual(expect.any(String));
    const second = await mailTo(email, 'verify-email', first);
    const token = linkTo(second, 'verify-email')?.searchParams.get('token');
    expect(token).not.toBe(linkTo(first, 'verify-email')?.searchParams.get('token'));
    await verifyEmail({ client, body: { token: token! } });
    const again = await refusal(resendVerification({ client }));
    expect(again.status).toBe(409);
  });
});

describe('password reset', () => {
  const NEW_PASSWORD = 'a longer and still memorable phrase';

  it('resets the password through the mailed link and ends every session of the account', async () => {
    const tokenStore = memoryTokenStore();
    const { inkwell, email } = await loggedInClient({ tokenStore });
    const oldRefreshToken = (await tokenStore.getRefreshToken())!;
    const anonymous = createInkwellClient({ baseUrl: baseUrl() });

    const asked = await requestPasswordReset({ client: anonymous.client, body: { email } });
    const unknown = await requestPasswordReset({
      client: anonymous.client,
      body: { email: uniqueEmail() },
    });
    expect(asked.response.status).toBe(202);
    expect(unknown.data).toEqual(asked.data); // the answer says nothing about the address

    const token = await mailedToken(email, 'reset-password');
    const { response } = await resetPassword({
      client: anonymous.client,
      body: { token, new_password: NEW_PASSWORD },
    });
    expect(response.status).toBe(204);

    // Every session ended: the refresh token is refused, and so is the access token, which
    // the client answers by trying that refresh token and giving the login up.
    const refused = await refusal(
      refreshToken({ client: anonymous.client, body: { refresh_token: oldRefreshToken } }),
    );
    expect(refused.status).toBe(401);
    const expired = await getCurrentUser({ client: inkwell.client }).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(SessionExpiredError);
    expect(await inkwell.hasLogin()).toBe(false);

    const oldPassword = await refusal(inkwell.login(email, PASSWORD));
    expect(oldPassword.status).toBe(401);
    await inkwell.login(email, NEW_PASSWORD);
    const { data: me } = await getCurrentUser({ client: inkwell.client });
    // Following a mailed link proved the address, too.
    expect(me).toMatchObject({ email, email_verified: true });

    const reused = await refusal(
      resetPassword({ client: anonymous.client, body: { token, new_password: PASSWORD } }),
    );
    expect(reused).toMatchObject({ status: 400, type: INVALID_TOKEN });
  });
});
