import { defineConfig } from 'vitest/config';

// npm run test:browser: the tests that need a real browser (Chromium), apart from npm test.
export default defineConfig({
  test: { include: ['test/chromium/**/*.chromium.ts'], testTimeout: 120_000 },
});
