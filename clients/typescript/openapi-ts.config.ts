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
  plugins: [
    '@hey-api/typescript',
    {
      name: '@hey-api/client-fetch',
      // No server URL is baked in: createInkwellClient() always supplies one.
      baseUrl: false,
      // Non-2xx responses reject (as ProblemError, see src/errors.ts) and success types
      // are not unions with `undefined`.
      throwOnError: true,
    },
    '@hey-api/sdk',
    '@tanstack/vue-query',
  ],
});
