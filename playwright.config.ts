import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { generateProjects } from '@backstage/e2e-test-utils/playwright';

/**
 * Browser tests and benchmarks run in Debian's headless Chromium against a portal of their own
 * (7107, its own sandbox on 4666: app-config.sandbox.yaml with app-config.e2e.yaml on top), so they
 * never touch a portal started with `./konductor start`. Its frontend is built first and served by
 * the backend, as in production: a page loads in about a second, where the development server took
 * 5-40 s on two cores. Its database is in memory, or, when KONDUCTOR_E2E_POSTGRES names a
 * PostgreSQL server, that server, with a second backend replica on 7108. Set PLAYWRIGHT_URL to test
 * a portal that is already running instead.
 */
const configArgs = (...files: string[]) =>
  files.map(file => `--config ${path.resolve(__dirname, file)}`).join(' ');
const portalConfig = [
  'app-config.yaml',
  'app-config.sandbox.yaml',
  'app-config.e2e.yaml',
];

/**
 * With a PostgreSQL server (KONDUCTOR_E2E_POSTGRES), the portal's backend runs as two replicas on
 * one database, under a table prefix of this run's own.
 */
const postgres = process.env.KONDUCTOR_E2E_POSTGRES;
process.env.KONDUCTOR_E2E_DB_PREFIX ??= `konductor_e2e_${Date.now().toString(
  36,
)}_`;
/** `yarn bench:*`: the benchmarks instead of the tests. */
const bench = !!process.env.KONDUCTOR_BENCH;
const backendConfig = [
  ...portalConfig,
  ...(postgres ? ['app-config.e2e-postgres.yaml'] : []),
];

/** Debian's headless Chromium, as every browser test and benchmark uses it. */
const chromium = {
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
 * The test portal: sandbox and backend (one or two replicas) serving the built frontend, or nothing when
 * PLAYWRIGHT_URL names a running portal.
 */
const testPortal = process.env.PLAYWRIGHT_URL
  ? []
  : [
      {
        command: 'yarn workspace @konductor/sandbox start',
        // Every browser test shares this sandbox account; like an account with a raised VPC
        // quota, it holds the stacks of the whole suite.
        env: {
          KONDUCTOR_SANDBOX_PORT: '4666',
          KONDUCTOR_SANDBOX_VPC_LIMIT: '20',
        },
        url: 'http://127.0.0.1:4666/__sandbox/health',
        reuseExistingServer: false,
        timeout: 60_000,
      },
      {
        // Web servers start one after the other: the frontend is built (about 25 s) before the
        // first replica starts to serve it.
        command: `yarn workspace app build && yarn start backend ${configArgs(
          ...backendConfig,
        )}`,
        url: 'http://localhost:7107/.backstage/health/v1/readiness',
        reuseExistingServer: false,
        timeout: 300_000,
        stdout: 'ignore',
        stderr: 'pipe',
      },
      ...(postgres
        ? [
            {
              command: `yarn start backend ${configArgs(
                ...backendConfig,
                'app-config.e2e-replica.yaml',
              )}`,
              url: 'http://localhost:7108/.backstage/health/v1/readiness',
              reuseExistingServer: false,
              timeout: 300_000,
              stdout: 'ignore' as const,
              stderr: 'pipe' as const,
            },
          ]
        : []),
    ];

export default defineConfig({
  // A test gets four minutes: the stack journeys wait for real runs (their own files set more).
  timeout: 240_000,
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
    baseURL: process.env.PLAYWRIGHT_URL ?? 'http://localhost:7107',
    screenshot: 'on',
    trace: 'retain-on-failure',
  },

  // Screenshots of every step are kept here as test artifacts (git-ignored); the benchmarks keep
  // theirs apart, so a bench run after the browser tests leaves the tests' screenshots in place.
  outputDir: bench ? 'test-results/bench' : 'test-results',

  // One project per package with an e2e-tests folder, all in Debian's Chromium; with
  // KONDUCTOR_BENCH set (`yarn bench:*`), the benchmarks instead, which print figures and assert
  // nothing about timing.
  projects: bench
    ? [
        {
          name: 'bench',
          testDir: path.resolve(__dirname, 'plugins/provisioning/bench'),
          testMatch: '*.bench.ts',
          timeout: 600_000,
          use: { ...chromium, screenshot: 'only-on-failure' },
        },
      ]
    : generateProjects().map(project => ({
        ...project,
        use: chromium,
      })),
});
