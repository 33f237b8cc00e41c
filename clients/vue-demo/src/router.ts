import { createRouter, createWebHistory } from 'vue-router';

import { loggedIn } from './inkwell';
import EditView from './views/EditView.vue';
import ForgotPasswordView from './views/ForgotPasswordView.vue';
import LoginView from './views/LoginView.vue';
import PostsView from './views/PostsView.vue';
import PostView from './views/PostView.vue';
import ResetPasswordView from './views/ResetPasswordView.vue';
import VerifyEmailView from './views/VerifyEmailView.vue';
import WriteView from './views/WriteView.vue';

declare module 'vue-router' {
  interface RouteMeta {
    requiresLogin?: boolean;
  }
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', name: 'posts', component: PostsView },
    { path: '/login', name: 'login', component: LoginView },
    { path: '/forgot-password', name: 'forgot-password', component: ForgotPasswordView },
    // The pages the server's mails link to (`${APP_URL}/reset-password?token=...`): their paths
    // are the API's, not this app's to choose.
    { path: '/reset-password', name: 'reset-password', component: ResetPasswordView },
    { path: '/verify-email', name: 'verify-email', component: VerifyEmailView },
    { path: '/write', name: 'write', component: WriteView, meta: { requiresLogin: true } },
    { path: '/posts/:id', name: 'post', component: PostView, props: true },
    {
      path: '/posts/:id/edit',
      name: 'edit',
      component: EditView,
      props: true,
      meta: { requiresLogin: true },
    },
  ],
});

router.beforeEach((to) =>
  to.meta.requiresLogin && !loggedIn.value ? { name: 'login', query: { next: to.fullPath } } : true,
);
