import { defineConfig } from 'orval';

// orval's fetch client, one file. `headers: true` is required: without it orval leaves out
// header parameters, so updatePost loses If-Match (428) and createPost its Idempotency-Key.
// The mutator only adds the server's address (the spec's server is `/`) and the bearer token.
export default defineConfig({
  inkwell: {
    input: { target: '../../openapi/openapi.yaml' },
    output: {
      target: 'generated/orval/inkwell.ts',
      client: 'fetch',
      mode: 'single',
      headers: true,
      override: {
        mutator: { path: 'src/orval-fetch.ts', name: 'inkwellFetch' },
      },
    },
  },
});
