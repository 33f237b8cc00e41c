import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Examples import the package by its name, as an application would; tsconfig.json maps
    // the same name for the type checker.
    alias: { '@inkwell/client': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    // Registration and login hash passwords (argon2id) on a 2-core machine.
    testTimeout: 30_000,
  },
});
