// The package as its consumers get it: packs it (`npm pack`, which builds dist/ first), then
//   1. creates a fresh Vite + Vue 3 + TypeScript app in a temporary folder, installs the tarball
//      and the app's dependencies from the registry, and runs `vue-tsc --noEmit` and
//      `vite build` on a component that uses the package the way README.md says;
//   2. installs the tarball alone (no vue, no @tanstack/vue-query) into another temporary folder
//      and runs a plain Node ESM script and a strict `tsc` over a TypeScript file importing
//      `@inkwell/client`: the main entry must work, and type-check, without Vue.
// The app's versions are the Vue demo's (../vue-demo/package.json), which are pinned.
// Exits 1 on the first failure; removes its temporary folders either way.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const DEMO = join(PACKAGE, '../vue-demo');
const started = Date.now();

function run(command, args, cwd) {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`[consumer-check ${seconds}s] ${cwd}$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    process.stdout.write(result.stdout ?? '');
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`,
    );
  }
  return result.stdout;
}

function writeFiles(root, files) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

const install = ['install', '--no-audit', '--no-fund', '--prefer-offline'];

function pack(into) {
  const [{ filename }] = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', into], PACKAGE).replace(/^[^[]*/s, ''),
  );
  return join(into, filename);
}

function viteApp(root, tarball) {
  const demo = JSON.parse(readFileSync(join(DEMO, 'package.json'), 'utf8'));
  const pinned = (names, from) => Object.fromEntries(names.map((name) => [name, from[name]]));
  writeFiles(root, {
    'package.json': JSON.stringify(
      {
        name: 'fresh-inkwell-app',
        private: true,
        type: 'module',
        dependencies: {
          '@inkwell/client': `file:${tarball}`,
          ...pinned(['@tanstack/vue-query', 'vue'], demo.dependencies),
        },
        devDependencies: pinned(
          ['@vitejs/plugin-vue', 'typescript', 'vite', 'vue-tsc'],
          demo.devDependencies,
        ),
        allowScripts: { 'vue-demi': true },
      },
      null,
      2,
    ),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        module: 'ESNext',
        moduleResolution: 'Bundler',
        strict: true,
        noUncheckedIndexedAccess: true,
        isolatedModules: true,
        verbatimModuleSyntax: true,
        noEmit: true,
        types: ['vite/client'],
      },
      include: ['src/**/*.ts', 'src/**/*.vue'],
    }),
    // No resolve.dedupe: installed from a tarball, the package brings no Vue of its own.
    'vite.config.ts': `import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({ plugins: [vue()] });
`,
    'index.html': `<!doctype html>
<html lang="en">
  <body>
    <div id="app"></div>
    <script type="module" src="/src/main.ts"></script>
  </body>
</html>
`,
    'src/main.ts': `import { VueQueryPlugin } from '@tanstack/vue-query';
import { createApp } from 'vue';

import App from './App.vue';

createApp(App).use(VueQueryPlugin).mount('#app');
`,
    'src/inkwell.ts': `import { createInkwellClient, indexedDbTokenStore } from '@inkwell/client';

export const inkwell = createInkwellClient({
  baseUrl: import.meta.env.VITE_INKWELL_API ?? window.location.origin,
  tokenStore: indexedDbTokenStore(),
  onSessionExpired: () => window.location.assign('/login'),
});
`,
    'src/App.vue': `<script setup lang="ts">
import { getPost, ifMatch, ProblemError, updatePost, withETag } from '@inkwell/client';
import {
  cursorPagination,
  getCurrentUserOptions,
  getCurrentUserQueryKey,
  listPostsInfiniteOptions,
  updateCurrentUserMutation,
} from '@inkwell/client/vue';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/vue-query';
import { computed, ref } from 'vue';

import { inkwell } from './inkwell';

const { client } = inkwell;
const me = useQuery(getCurrentUserOptions({ client }));
const queryClient = useQueryClient();
const rename = useMutation({
  ...updateCurrentUserMutation({ client }),
  onSuccess: (user) => queryClient.setQueryData(getCurrentUserQueryKey({ client }), user),
});
const posts = useInfiniteQuery(
  cursorPagination(listPostsInfiniteOptions({ client, query: { limit: 20 } })),
);
const items = computed(() => posts.data.value?.pages.flatMap((page) => page.items) ?? []);
const displayName = ref('');
// Vue Query's errors are ProblemErrors: no instanceof needed for the field errors.
const fieldErrors = computed(() => rename.error.value?.fieldErrors() ?? {});
const formError = ref<string>();

async function retitle(post_id: string, title: string): Promise<void> {
  const { etag } = await withETag(getPost({ client, path: { post_id } }));
  try {
    await updatePost({ client, path: { post_id }, body: { title }, headers: ifMatch(etag) });
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    formError.value = error.isPreconditionFailed ? 'Changed meanwhile' : (error.detail ?? error.title);
  }
}
</script>

<template>
  <p v-if="me.error.value">{{ me.error.value.title }} ({{ me.error.value.requestId }})</p>
  <p v-else-if="me.data.value">Hello {{ me.data.value.display_name }}</p>
  <form @submit.prevent="rename.mutate({ body: { display_name: displayName } })">
    <input v-model="displayName" />
    <span v-if="fieldErrors.display_name">{{ fieldErrors.display_name }}</span>
  </form>
  <p v-if="formError">{{ formError }}</p>
  <ul>
    <li v-for="post in items" :key="post.id" @click="retitle(post.id, post.title + '!')">
      {{ post.title }}: {{ post.excerpt }}
    </li>
  </ul>
  <button v-if="posts.hasNextPage.value" @click="posts.fetchNextPage()">More</button>
</template>
`,
  });
  run('npm', install, root);
  run(join(root, 'node_modules/.bin/vue-tsc'), ['--noEmit'], root);
  run(join(root, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], root);
}

function nodeApp(root, tarball, tsc) {
  writeFiles(root, {
    'package.json': JSON.stringify({
      name: 'plain-node-consumer',
      private: true,
      type: 'module',
      dependencies: { '@inkwell/client': `file:${tarball}` },
    }),
    'check.mjs': `import assert from 'node:assert/strict';

import * as inkwell from '@inkwell/client';

// The optional peers are not installed, and the main entry did not need them.
for (const peer of ['vue', '@tanstack/vue-query']) {
  assert.throws(() => import.meta.resolve(peer), { code: 'ERR_MODULE_NOT_FOUND' }, peer);
}
assert.equal(inkwell.listPostsOptions, undefined, 'Vue Query factories live in /vue');

const requests = [];
const answers = [
  [200, 'application/json', { items: [], next_cursor: null }],
  [404, 'application/problem+json', { type: '/problems/not-found', title: 'Not Found', status: 404 }],
];
const { client } = inkwell.createInkwellClient({
  baseUrl: 'https://api.inkwell.example',
  fetch: async (request) => {
    requests.push(request.url);
    const [status, type, body] = answers.shift();
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });
  },
});
const { data } = await inkwell.listPosts({ client, query: { limit: 5, cursor: null } });
assert.deepEqual(data, { items: [], next_cursor: null });
const error = await inkwell.getPost({ client, path: { post_id: 'x' } }).catch((e) => e);
assert.ok(error instanceof inkwell.ProblemError && error.status === 404, String(error));
assert.deepEqual(requests, [
  'https://api.inkwell.example/api/v1/posts?limit=5',
  'https://api.inkwell.example/api/v1/posts/x',
]);
console.log('plain Node ESM: @inkwell/client works without vue');
`,
    'check.ts': `import { createInkwellClient, listPosts, type PostPage, ProblemError } from '@inkwell/client';

const { client } = createInkwellClient({ baseUrl: 'https://api.inkwell.example' });
export async function titles(cursor: string | null): Promise<string[]> {
  try {
    const { data }: { data: PostPage } = await listPosts({ client, query: { cursor } });
    return data.items.map((post) => post.title);
  } catch (error) {
    if (error instanceof ProblemError) return [error.fieldErrors()['cursor'] ?? error.title];
    throw error;
  }
}
`,
    // skipLibCheck off: the declarations of the main entry must compile without Vue's.
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: [],
      },
      files: ['check.ts'],
    }),
  });
  run('npm', install, root);
  run('node', ['check.mjs'], root);
  run(tsc, ['-p', 'tsconfig.json'], root);
}

const scratch = mkdtempSync(join(tmpdir(), 'inkwell-consumer-'));
try {
  const tarball = pack(scratch);
  const vite = join(scratch, 'vite-app');
  viteApp(vite, tarball);
  nodeApp(join(scratch, 'node-app'), tarball, join(vite, 'node_modules/.bin/tsc'));
  console.log(`consumer check passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} catch (error) {
  console.error(error.message);
  process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
