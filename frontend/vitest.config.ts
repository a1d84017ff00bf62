import { defineConfig } from 'vitest/config';

// Unit tests of the pure logic; no DOM needed.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
