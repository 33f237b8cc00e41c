import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vitest/config';

const source = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples import the package by its name, as an application would; tsconfig.json maps
    // the same name for the type checker.
    alias: [
      { find: /^@inkwell\/client$/, replacement: source('index.ts') },
      { find: /^@inkwell\/client\/vue$/, replacement: source('vue.ts') },
    ],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    // Registration and login hash passwords (argon2id) on a 2-core machine.
    testTimeout: 30_000,
  },
});
