// End-to-end tests: Debian's chromium against a real coachd and coach-gateway (tests/stack.js).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'tests',
  timeout: 60_000,
  workers: 1, // one coachd and gateway for all; the tests follow one team through its week
  reporter: [['list']],
  outputDir: 'test-results/output',
  globalSetup: './tests/stack.js',
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    viewport: { width: 1280, height: 800 },
  },
});
