import { defineConfig } from 'vitest/config';

// End-to-end tests: one file, run in order, against a real server.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ['default', './e2e/summaryReporter.ts'],
  },
});
