// The account flow an application goes through, written only against the package's public
// entry, as the Vue app imports it. `npm run typecheck` compiles it and
// tests/example.test.ts runs it against a live server.
import {
  type Accepted,
  createInkwellClient,
  createPost,
  getCurrentUser,
  getPost,
  idempotencyKey,
  listUserPosts,
  type Post,
  type PostSummary,
  ProblemError,
  publishPost,
  registerUser,
  updateCurrentUser,
  type User,
  verifyEmail,
} from '@inkwell/client';

/** The problem type of a refusal to publish or comment before the email is verified. */
export const EMAIL_NOT_VERIFIED = '/problems/email-not-verified';

export interface AccountFlowResult {
  /** The field errors a registration form would show for a too-short password. */
  formErrors: Record<string, string>;
  /** Registration's answer: the same for a new address and a taken one; the rest is mailed. */
  registered: Accepted;
  /** The user as signed in before following the verification link. */
  unverified: User;
  /** Why publishing failed before then: 403 `/problems/email-not-verified`. */
  refused: ProblemError;
  /** The user once the email is verified. */
  me: User;
  /** The post written, then published. */
  published: Post;
  /** The user's published posts, as any reader lists them: summaries, with an `excerpt`. */
  listed: PostSummary[];
  /** The first listed post opened: the whole post, `body` included. */
  opened: Post;
  /** The profile as updated with the access token that refresh() issued. */
  renamed: User;
  loggedInAfterLogout: boolean;
}

/**
 * `followLink` stands for the user opening the link in the verification mail
 * (`${APP_URL}/verify-email?token=...`): it gives that link's `token`, which the application's
 * /verify-email page reads from its URL and sends with verifyEmail().
 */
export async function accountFlow(
  baseUrl: string,
  email: string,
  followLink: (email: string) => Promise<string>,
): Promise<AccountFlowResult> {
  const inkwell = createInkwellClient({
    baseUrl,
    onSessionExpired: () => {
      // An application routes to its login page here.
    },
  });
  const { client } = inkwell;
  const password = 'correct horse battery staple';

  let formErrors: Record<string, string> = {};
  try {
    await registerUser({ client, body: { email, password: 'short', display_name: 'Ada' } });
  } catch (error) {
    if (!(error instanceof ProblemError && error.status === 422)) throw error;
    formErrors = error.fieldErrors();
  }

  const { data: registered } = await registerUser({
    client,
    body: { email, password, display_name: 'Ada Lovelace' },
  });
  // An account can sign in and write drafts before its email is verified, not publish.
  await inkwell.login(email, password);
  const { data: unverified } = await getCurrentUser({ client });

  const { data: draft } = await createPost({
    client,
    headers: idempotencyKey(),
    body: {
      title: 'Notes on the Analytical Engine',
      body: 'It weaves patterns.',
      tags: ['history'],
    },
  });
  let refused: ProblemError | undefined;
  try {
    await publishPost({ client, path: { post_id: draft.id } });
  } catch (error) {
    if (!(error instanceof ProblemError && error.type === EMAIL_NOT_VERIFIED)) throw error;
    refused = error; // an application offers to send the link again: resendVerification()
  }
  if (refused === undefined) throw new Error('An unverified account published a post.');

  await verifyEmail({ client, body: { token: await followLink(email) } });
  const { data: me } = await getCurrentUser({ client });
  const { data: published } = await publishPost({ client, path: { post_id: draft.id } });
  const { data: page } = await listUserPosts({ client, path: { user_id: me.id } });
  const [first] = page.items;
  if (first === undefined) throw new Error('The published post is not listed.');
  const { data: opened } = await getPost({ client, path: { post_id: first.id } });

  await inkwell.refresh();
  const { data: renamed } = await updateCurrentUser({
    client,
    body: { display_name: 'Countess of Lovelace' },
  });

  await inkwell.logout();
  return {
    formErrors,
    registered,
    unverified,
    refused,
    me,
    published,
    listed: page.items,
    opened,
    renamed,
    loggedInAfterLogout: await inkwell.hasLogin(),
  };
}
