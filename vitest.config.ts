import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
/** The web app's component tests: named apart so the node project leaves them alone. */
const components = 'web/src/**/*.svelte.test.ts';

export default defineConfig({
  test: {
    // Integration files each run their own gateway and worker: two at a time fits two cores.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'node',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', 'web/.svelte-kit/**', 'web/build/**', '.mchat/**', components],
          // Real servers (Redis, FerretDB, Temporal) are started once per run, see test/global-setup.ts.
          globalSetup: ['test/global-setup.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Svelte components in a simulated DOM, no servers: `npx vitest run --project components`.
        // The svelte plugin compiles the components (and the runes in *.svelte.ts, tests included);
        // svelteTesting resolves Svelte's browser build and cleans the DOM up after each test.
        plugins: [svelte({ configFile: false }), svelteTesting()],
        resolve: {
          // What SvelteKit's plugin would provide (web/svelte.config.js), without starting SvelteKit.
          alias: {
            $lib: here('web/src/lib'),
            $schemas: here('schemas/index.ts'),
            $sdk: here('sdk/index.ts'),
            '$app/environment': here('web/test/app-environment.ts'),
          },
        },
        test: {
          name: 'components',
          include: [components],
          environment: 'jsdom',
          setupFiles: ['web/test/setup.ts'],
          // Each takes milliseconds; the margin is for a machine busy with the browser tests.
          testTimeout: 15_000,
        },
      },
    ],
  },
});
