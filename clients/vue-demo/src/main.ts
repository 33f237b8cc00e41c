import { QueryClient, VueQueryPlugin } from '@tanstack/vue-query';
import { createApp } from 'vue';

import App from './App.vue';
import { inkwell, loggedIn } from './inkwell';
import { retryUnlessRefused } from './problems';
import { router } from './router';
import './style.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: retryUnlessRefused },
  },
});

inkwell.onSessionExpired(() => {
  loggedIn.value = false;
  queryClient.clear();
  void router.push({ name: 'login', query: { next: router.currentRoute.value.fullPath } });
});

createApp(App).use(router).use(VueQueryPlugin, { queryClient }).mount('#app');
