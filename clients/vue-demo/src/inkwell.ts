import { createInkwellClient, indexedDbTokenStore } from '@inkwell/client';
import { ref } from 'vue';

// Where `nox -s serve` listens, unless VITE_INKWELL_API names another API.
const baseUrl = import.meta.env.VITE_INKWELL_API || 'http://127.0.0.1:8000';

// IndexedDB keeps the login across reloads, and shares it with the other tabs, which take
// turns to refresh it (see the package README, "Tabs share one login").
export const inkwell = createInkwellClient({ baseUrl, tokenStore: indexedDbTokenStore() });
export const { client } = inkwell;

/** Whether tokens are held: what the router guard and the header go by. */
export const loggedIn = ref(await inkwell.hasLogin());
