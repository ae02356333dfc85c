import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Server tests bind real ports; files run in parallel forks, so each test picks free ports.
    pool: 'forks',
  },
});
