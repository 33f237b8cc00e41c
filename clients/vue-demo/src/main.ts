import { ProblemError } from '@inkwell/client';
import { QueryClient, VueQueryPlugin } from '@tanstack/vue-query';
import { createApp } from 'vue';

import App from './App.vue';
import { inkwell, loggedIn } from './inkwell';
import { router } from './router';
import './style.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx answer will not change on retry; a lost connection or a 5xx may.
      retry: (failures, error) =>
        failures < 2 && !(error instanceof ProblemError && error.status < 500),
    },
  },
});

inkwell.onSessionExpired(() => {
  loggedIn.value = false;
  queryClient.clear();
  void router.push({ name: 'login', query: { next: router.currentRoute.value.fullPath } });
});

createApp(App).use(router).use(VueQueryPlugin, { queryClient }).mount('#app');
