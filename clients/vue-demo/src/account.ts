import { getCurrentUserOptions } from '@inkwell/client/vue';
import { type QueryClient, useQuery } from '@tanstack/vue-query';

import { client, inkwell, loggedIn } from './inkwell';

export async function logIn(email: string, password: string): Promise<void> {
  await inkwell.login(email, password);
  loggedIn.value = true;
}

/** Forgets the login and everything read with it (another user may log in next). */
export async function logOut(queryClient: QueryClient): Promise<void> {
  try {
    await inkwell.logout();
  } finally {
    loggedIn.value = false;
    queryClient.clear();
  }
}

/** The logged-in user (`data` is undefined while logged out). */
export function useCurrentUser() {
  return useQuery({ ...getCurrentUserOptions({ client }), enabled: loggedIn });
}
