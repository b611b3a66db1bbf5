import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { defineConfig } from 'vite';

// SvelteKit takes the project directory from process.cwd() when its plugin module is loaded, and
// the repo's scripts run `vite build web` (and `npm run dev:web`) from the repo root: step into web/ first.
// (Worker threads, which Svelte's tooling loads this file in, may not chdir: they start in the
// directory the main thread already moved to.)
if (isMainThread) process.chdir(fileURLToPath(new URL('.', import.meta.url)));
const { sveltekit } = await import('@sveltejs/kit/vite');
const { paraglideVitePlugin } = await import('@inlang/paraglide-js');

export default defineConfig({
  plugins: [
    // Compiles web/messages/*.json into typed message functions under src/lib/paraglide (not
    // committed). The strategy is repeated in the root package.json's i18n script, which compiles
    // them for the type checker: the user's pick (cookie), else the browser's languages
    // (Accept-Language / navigator.languages), else English.
    paraglideVitePlugin({
      project: './project.inlang',
      outdir: './src/lib/paraglide',
      strategy: ['cookie', 'preferredLanguage', 'baseLocale'],
    }),
    sveltekit(),
  ],
  // Next to the repo's other caches rather than in a web/node_modules of its own.
  cacheDir: fileURLToPath(new URL('../node_modules/.vite/web', import.meta.url)),
  // The shared schemas and the client SDK live outside web/, so the dev server must be allowed to serve them.
  server: { fs: { allow: ['../schemas', '../sdk'].map((dir) => fileURLToPath(new URL(dir, import.meta.url))) } },
  // Bundled when the dev server starts, not when a page first imports them: otherwise the first
  // visit after a fresh install triggers a full reload mid-page (and loses what was typed).
  optimizeDeps: { include: ['mqtt', 'zod', 'eventemitter3', 'ulid'] },
});
