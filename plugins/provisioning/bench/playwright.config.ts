import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { chromium, testPortal } from '../../../playwright.config';

/**
 * `yarn bench:progress-latency`: a benchmark, not a test. It runs against the browser tests'
 * portal (started here unless PLAYWRIGHT_URL names a running one) and prints its figures.
 */
export default defineConfig({
  testDir: __dirname,
  testMatch: '*.bench.ts',
  timeout: 600_000,
  workers: 1,
  webServer: testPortal,
  reporter: [['list']],
  outputDir: path.resolve(__dirname, '../../../test-results/bench'),
  expect: { timeout: 30_000 },
  use: {
    actionTimeout: 30_000,
    screenshot: 'only-on-failure',
    baseURL: process.env.PLAYWRIGHT_URL ?? 'http://localhost:3100',
    ...chromium,
  },
});
