import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'web/.svelte-kit/**', 'web/build/**', '.mchat/**'],
    // Real servers (Redis, FerretDB, Temporal) are started once per run, see test/global-setup.ts.
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Integration files each run their own gateway and worker: two at a time fits two cores.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
