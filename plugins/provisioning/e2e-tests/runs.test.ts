import { test, expect, type Page, type TestInfo } from '@playwright/test';
import { createRun, signIn } from './runsApi';

const sandboxUrl = process.env.KONDUCTOR_SANDBOX_URL ?? 'http://127.0.0.1:4666';

async function snap(page: Page, testInfo: TestInfo, step: string) {
  await page.screenshot({
    path: testInfo.outputPath(`${step}.png`),
    fullPage: true,
  });
}

/** The graph node of `resource`, found by its accessible name `<resource> <status>`. */
const node = (page: Page, resource: string, status: string) =>
  page.getByRole('group', { name: `${resource} ${status}`, exact: true });

const suffix = () => Date.now().toString(36).slice(-5);

test('a run page follows events as they are posted, and a reload mid-run shows the same state', async ({
  page,
  request,
}, testInfo) => {
  const run = await createRun(request, `live${suffix()}`);
  await signIn(page);
  await page.goto(`/provisioning/runs/${run.id}`);
  for (const r of ['network', 'database', 'secrets'])
    await expect(node(page, r, 'queued')).toBeVisible();
  await expect(page.getByText('No events yet')).toBeVisible();

  await run.post('run-started');
  await run.post('creating', 'network');
  await expect(node(page, 'network', 'creating')).toBeVisible();
  await run.post('ready', 'network', { outputs: { vpcId: 'vpc-0e2e' } });
  await expect(node(page, 'network', 'ready')).toBeVisible();
  await expect(page.getByText('vpc-0e2e')).toBeVisible();
  await run.post('creating', 'database');
  await run.post('waiting', 'database', {
    detail: 'DBInstanceStatus=creating',
    elapsedMs: 2000,
  });
  await expect(node(page, 'database', 'waiting')).toBeVisible();
  await expect(page.getByText('1 of 3 resources ready')).toBeVisible();
  await expect(page.getByText(/about .* left/)).toBeVisible();
  const log = page.getByRole('table', { name: 'Event log' });
  await expect(log).toHaveAttribute('aria-rowcount', '5');
  await snap(page, testInfo, 'run-running');

  // A reload mid-run rebuilds the same state from the stored log, then keeps following.
  await page.reload();
  await expect(node(page, 'database', 'waiting')).toBeVisible();
  await expect(node(page, 'network', 'ready')).toBeVisible();
  await expect(log).toHaveAttribute('aria-rowcount', '5');
  await run.post('ready', 'database', {
    outputs: { endpoint: 'live.sandbox.rds.amazonaws.com' },
  });
  await run.post('creating', 'secrets');
  await run.post('ready', 'secrets', { outputs: { count: 1 } });
  await run.post('run-succeeded');
  await expect(page.getByText('3 of 3 resources ready')).toBeVisible();
  await expect(page.getByLabel('Run progress')).toHaveAttribute(
    'aria-valuenow',
    '100',
  );
  await expect(log).toHaveAttribute('aria-rowcount', '9');
  await expect(page.getByText('live.sandbox.rds.amazonaws.com')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Cancel run' })).toHaveCount(0);
  await snap(page, testInfo, 'run-succeeded');
});

test('a failed run says what failed and what the rollback removed, and offers a retry', async ({
  page,
  request,
}, testInfo) => {
  const run = await createRun(request, `fail${suffix()}`);
  await signIn(page);
  await page.goto(`/provisioning/runs/${run.id}`);
  await expect(node(page, 'network', 'queued')).toBeVisible();
  await run.post('run-started');
  await run.post('creating', 'network');
  await run.post('ready', 'network', { outputs: { vpcId: 'vpc-0fa1' } });
  await run.post('creating', 'database');
  await run.post('failed', 'database', {
    error:
      'InsufficientDBInstanceCapacity: no db.t4g.micro capacity in us-east-1a',
  });
  await run.post('rolling-back', 'network');
  await expect(node(page, 'network', 'rolling-back')).toBeVisible();
  await run.post('deleted', 'network');
  await run.post('run-failed', undefined, { error: 'database failed' });
  const outcome = page.getByRole('alert').filter({ hasText: 'Run failed.' });
  await expect(outcome).toContainText(
    'database: InsufficientDBInstanceCapacity: no db.t4g.micro capacity',
  );
  await expect(outcome).toContainText('Rolled back: network deleted.');
  await expect(node(page, 'database', 'failed')).toBeVisible();
  await expect(node(page, 'secrets', 'queued')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Retry' })).toBeVisible();
  await snap(page, testInfo, 'run-failed');
});

test('a developer starts a database, opens its run from the runs list and cancels it', async ({
  page,
  request,
}, testInfo) => {
  // A slow database create keeps the run going until it is cancelled.
  const fault = await request.post(`${sandboxUrl}/__sandbox/faults`, {
    data: {
      service: 'rds',
      operation: 'CreateDBInstance',
      kind: 'latency',
      latencyMs: 20_000,
      count: 1,
    },
  });
  expect(fault.status()).toBe(201);

  await signIn(page);
  await page.goto('/create');
  await page
    .locator('.MuiCard-root', {
      has: page.getByText('PostgreSQL database', { exact: true }),
    })
    .getByRole('button', { name: 'Choose' })
    .click();
  const name = `cx${suffix()}`;
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByRole('table', { name: `Plan of ${name}` }),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('Provision the database')).toBeVisible();

  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'Provisioning' })
    .click();
  await expect(page.getByRole('link', { name: `${name}-dev` })).toBeVisible();
  await snap(page, testInfo, 'runs-list');
  await page.getByRole('link', { name: `${name}-dev` }).click();
  await expect(node(page, 'network', 'ready')).toBeVisible({ timeout: 30_000 });
  await expect(node(page, 'database', 'creating')).toBeVisible();
  await expect(page.getByText('owned by')).toBeVisible();
  await snap(page, testInfo, 'cancel-running');

  await page.getByRole('button', { name: 'Cancel run' }).click();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: 'Cancel run' })
    .click();
  const outcome = page.getByRole('alert').filter({ hasText: 'Run cancelled.' });
  await expect(outcome).toBeVisible({ timeout: 60_000 });
  await expect(outcome).toContainText('network deleted');
  await expect(page.getByRole('button', { name: 'Retry' })).toBeVisible();
  await snap(page, testInfo, 'run-cancelled');

  // The template's entity page lists the runs its tasks started.
  await page.goto('/catalog/default/template/postgres-database/provisioning');
  const row = page.getByRole('row').filter({ hasText: `${name}-dev` });
  await expect(row).toContainText('cancelled');
  await snap(page, testInfo, 'template-runs-tab');
});
