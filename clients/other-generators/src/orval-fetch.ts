/**
 * orval's custom fetch (its "mutator"): the generated functions build the path, query, headers
 * and body; this adds the live server's address and the bearer token, and returns what orval's
 * fetch client returns without a mutator, `{ data, status, headers }`.
 */
// Self-contained: orval parses this file (with esbuild) while generating.
let accessToken: string | undefined;

/** The access token sent with every later call (`undefined`: none). */
export function useAccessToken(token: string | undefined): void {
  accessToken = token;
}

export async function inkwellFetch<T>(url: string, init: RequestInit): Promise<T> {
  const headers = new Headers(init.headers);
  if (accessToken !== undefined && !headers.has('Authorization')) {
    headers.set('Authorization', `Bearer ${accessToken}`);
  }
  const response = await fetch(new URL(url, process.env.INKWELL_BASE_URL), { ...init, headers });
  const text = [204, 205, 304].includes(response.status) ? '' : await response.text();
  const data: unknown = text ? JSON.parse(text) : undefined;
  return { data, status: response.status, headers: response.headers } as T;
}
