import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { generateProjects } from '@backstage/e2e-test-utils/playwright';

/**
 * Browser tests run in Debian's headless Chromium against a portal of their own (ports 3100 and
 * 7107, in-memory database, its own sandbox on 4666: app-config.sandbox.yaml with
 * app-config.e2e.yaml on top), so they never touch a portal started with `./konductor start`. Set PLAYWRIGHT_URL to test a portal that is already running instead.
 */
const configArgs = [
  'app-config.yaml',
  'app-config.sandbox.yaml',
  'app-config.e2e.yaml',
]
  .map(file => `--config ${path.resolve(__dirname, file)}`)
  .join(' ');

/** Debian's headless Chromium, as every browser test and benchmark uses it. */
export const chromium = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: process.env.KONDUCTOR_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  },
};

/**
 * The test portal: sandbox, backend and frontend, started from the repository root (so a config
 * elsewhere, such as the benchmarks', can reuse it), or nothing when PLAYWRIGHT_URL names a
 * running portal.
 */
export const testPortal = process.env.PLAYWRIGHT_URL
  ? []
  : [
      {
        command: 'yarn workspace @konductor/sandbox start',
        env: { KONDUCTOR_SANDBOX_PORT: '4666' },
        url: 'http://127.0.0.1:4666/__sandbox/health',
        reuseExistingServer: false,
        cwd: __dirname,
        timeout: 60_000,
      },
      {
        command: `yarn start backend ${configArgs}`,
        url: 'http://localhost:7107/.backstage/health/v1/readiness',
        reuseExistingServer: false,
        cwd: __dirname,
        timeout: 300_000,
        stdout: 'ignore',
        stderr: 'pipe',
      },
      {
        command: `yarn start app ${configArgs}`,
        url: 'http://localhost:3100',
        reuseExistingServer: false,
        cwd: __dirname,
        timeout: 300_000,
        stdout: 'ignore',
        stderr: 'pipe',
      },
    ];

export default defineConfig({
  timeout: 120_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,

  webServer: testPortal,

  reporter: [
    ['list'],
    ['json'],
    ['html', { open: 'never', outputFolder: 'e2e-test-report' }],
  ],

  use: {
    actionTimeout: 30_000,
    baseURL: process.env.PLAYWRIGHT_URL ?? 'http://localhost:3100',
    screenshot: 'on',
    trace: 'retain-on-failure',
  },

  // Screenshots of every step are kept here as test artifacts (git-ignored).
  outputDir: 'test-results',

  // One project per package with an e2e-tests folder, all in Debian's Chromium.
  projects: generateProjects().map(project => ({
    ...project,
    use: chromium,
  })),
});
