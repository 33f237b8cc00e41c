import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [vue()],
  resolve: {
    // @inkwell/client is a link to ../typescript, which has its own node_modules/vue for its
    // tests: without this, Vue Query's inject() would look in a second Vue and not find the
    // app's QueryClient.
    dedupe: ['vue', '@tanstack/vue-query'],
  },
  // 127.0.0.1 rather than localhost: the origin the server's CORS_ORIGINS must list is then
  // exactly http://127.0.0.1:PORT, whatever localhost resolves to.
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
