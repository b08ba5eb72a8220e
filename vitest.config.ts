import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The Temporal core bridge (a native addon) breaks inside worker threads: one process per file.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts its own Temporal server; two cores here: two files at a time.
    maxWorkers: 2,
  },
});
