import { defineConfig } from '@hey-api/openapi-ts';

// `npm run generate` writes src/gen/ from the contract; `npm run drift` regenerates into a
// temporary folder with this same file (overriding only the output path) and compares.
export default defineConfig({
  input: '../../openapi/openapi.yaml',
  output: {
    path: 'src/gen',
    // Import specifiers end in `.js` whatever tsconfig says: dist/ must run in Node ESM too.
    module: { extension: '.js' },
    // No formatter: output must not depend on a tool that is not pinned here.
    postProcess: [],
  },
  parser: {
    patch: {
      parameters: {
        // A page's `next_cursor` is `string | null` (null on the last page); the request side
        // accepts null too, so `query: { cursor: page.next_cursor }` type-checks. The fetch
        // client leaves null query values out of the URL: null means "the first page".
        Cursor: (parameter) => {
          if (parameter.schema && !('$ref' in parameter.schema)) {
            parameter.schema.type = ['string', 'null'];
          }
        },
      },
    },
  },
  plugins: [
    {
      name: '@hey-api/typescript',
      '~hooks': {
        events: {
          // The per-operation error union (`ListPostsError`, i.e. `Problem`) is still generated,
          // but the Vue Query plugin no longer finds it and types errors as TanStack's
          // `DefaultError`, which `@inkwell/client/vue` registers as `ProblemError` (what the
          // client actually throws, with fieldErrors() and friends). See src/vue.ts. The hook
          // relies on the symbol metadata of hey-api 0.95 (pinned); tests/types.test-d.ts fails
          // if an upgrade changes it.
          'symbol:register:before': ({ symbol }) => {
            if (symbol.meta?.resource === 'operation' && symbol.meta.role === 'error') {
              symbol.meta.role = 'error-union';
            }
          },
        },
      },
    },
    {
      name: '@hey-api/client-fetch',
      // No server URL is baked in: createInkwellClient() always supplies one.
      baseUrl: false,
      // Non-2xx responses reject (as ProblemError, see src/errors.ts) and success types
      // are not unions with `undefined`.
      throwOnError: true,
    },
    {
      name: '@hey-api/sdk',
      // No module-level default client: every operation requires `client`, so a call that
      // forgets `{ client: inkwell.client }` is a type error instead of a request to the
      // page's own origin.
      client: false,
    },
    '@tanstack/vue-query',
  ],
});
