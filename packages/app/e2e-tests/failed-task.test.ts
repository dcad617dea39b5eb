import { test, expect } from '@playwright/test';
import { chooseOwner, openTemplate, signInWithGithub, snap } from './helpers';

const sandboxUrl = process.env.KONDUCTOR_SANDBOX_URL ?? 'http://127.0.0.1:4666';

test('a failed task says what was rolled back, without a stack trace, and leads to its run, which is retried', async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(240_000);
  const name = `fail${Date.now().toString(36)}`;
  // RDS creates the next database, which then ends in its failed state (once).
  const fault = await request.post(`${sandboxUrl}/__sandbox/faults`, {
    data: {
      service: 'rds',
      operation: 'CreateDBInstance',
      kind: 'fail',
      count: 1,
    },
  });
  expect(fault.status()).toBe(201);

  const bob = await signInWithGithub(browser, testInfo, 'bob');
  await openTemplate(bob, 'PostgreSQL database');
  await bob.getByRole('textbox', { name: 'Name' }).fill(name);
  await chooseOwner(bob, 'Team B');
  await bob.getByRole('button', { name: 'Next' }).click();
  await expect(
    bob.getByRole('table', { name: `Plan of ${name}` }),
  ).toBeVisible();
  await bob.getByRole('button', { name: 'Review' }).click();
  await bob.getByRole('button', { name: 'Create' }).click();

  // The task page's title: the failure and what the rollback deleted, in words, with its run.
  const title = bob.getByRole('button', {
    name: new RegExp(`^Error: Stack ${name}-dev failed:`),
  });
  await expect(title).toBeVisible({ timeout: 120_000 });
  await expect(title).toContainText(
    `DB instance ${name}-dev-db failed (status failed). Rolled back: database, network. Open its run for each resource's events, and to retry it.`,
  );
  // The log, open on failure, ends with the error's sentence: no stack frame anywhere.
  await expect(
    bob.getByText(/Z StackProvisioningError: Stack /).first(),
  ).toBeVisible();
  expect(await bob.locator('body').innerText()).not.toMatch(
    /^\s*at .+:\d+:\d+\)?$/m,
  );
  await snap(bob, testInfo, '01-task-failed');

  // Its run: failed, each resource's events, and Retry, which the fault no longer stops.
  await bob.getByRole('link', { name: 'Open its run' }).click();
  await expect(bob).toHaveURL(/\/provisioning\/runs\//);
  await expect(bob.getByText('failed', { exact: true }).first()).toBeVisible();
  // Only what still exists has outputs: the rollback deleted both resources.
  const outputs = bob.getByRole('region', { name: 'Outputs and links' });
  await expect(outputs).toContainText(
    /Deleted by this run, so without outputs: (network, database|database, network)\./,
  );
  await expect(outputs).not.toContainText('network.vpcId');
  await snap(bob, testInfo, '02-run-failed');
  await bob.getByRole('button', { name: 'Retry' }).click();
  await expect(bob.getByText('succeeded', { exact: true }).first()).toBeVisible(
    { timeout: 120_000 },
  );
  await snap(bob, testInfo, '03-run-retried');
});
