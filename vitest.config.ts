import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Sandboxed processes and two databases share 2 cores: keep parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
