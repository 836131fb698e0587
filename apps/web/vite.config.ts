import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

/**
 * Content-Security-Policy for the built SPA. Only the production build gets it: the dev server injects
 * inline styles for hot reload. `connect-src` allows any http(s) origin because the API URL is chosen at
 * runtime (`/config.json`, `?api=`); everything else is same-origin only. Headers a meta tag cannot set
 * (frame-ancestors) belong to the static server.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self' http: https:",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'pr-canary-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (see the root vitest.shared.mts).
  resolve: { conditions: ['pr-canary-source', ...defaultClientConditions] },
  build: { target: 'es2022', sourcemap: true },
  plugins: [contentSecurityPolicy()],
});
