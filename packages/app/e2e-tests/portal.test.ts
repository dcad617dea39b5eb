import { test, expect } from '@playwright/test';
import { snap, templateCard } from './helpers';

test('a guest signs in, sees Konductor in the catalog and runs the hello-world template', async ({
  page,
}, testInfo) => {
  await page.goto('/');
  await expect(page).toHaveTitle(/Konductor/);
  await snap(page, testInfo, '01-sign-in');
  await page.getByRole('button', { name: 'Enter' }).click();

  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await expect(nav.getByText('Konductor', { exact: true })).toBeVisible();
  // The test portal talks to its sandbox, and says so.
  await expect(nav.getByRole('status', { name: 'Sandbox mode' })).toBeVisible();

  // The catalog is the landing page and lists Konductor's own components.
  for (const name of ['Konductor app', 'Konductor backend']) {
    await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
  }
  await snap(page, testInfo, '02-catalog');

  // Create -> hello-world -> fill -> review -> create.
  await nav.getByRole('link', { name: /Create/ }).click();
  await expect(templateCard(page, 'Hello world')).toBeVisible();
  // Templates generated from service definitions sit beside the hand-written ones.
  await expect(templateCard(page, 'VPN access')).toBeVisible();
  await expect(templateCard(page, 'Private network')).toBeVisible();
  await snap(page, testInfo, '03-templates');
  await templateCard(page, 'Hello world')
    .getByRole('button', { name: 'Choose' })
    .click();

  const name = `e2e-${Date.now().toString(36)}`;
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByText(name).first()).toBeVisible();
  await snap(page, testInfo, '04-review');
  await page.getByRole('button', { name: 'Create' }).click();

  // The task page shows the output only once every step has finished.
  await expect(page.getByText(`Hello, ${name}`)).toBeVisible({
    timeout: 60_000,
  });
  await snap(page, testInfo, '05-task-done');
});

test('a developer provisions a PostgreSQL database in the sandbox and watches the task finish', async ({
  page,
}, testInfo) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  // Signed in once the sidebar is there; navigating earlier lands on the sign-in page again.
  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await nav.getByRole('link', { name: /Create/ }).click();
  await templateCard(page, 'PostgreSQL database')
    .getByRole('button', { name: 'Choose' })
    .click();

  const name = `pg${Date.now().toString(36)}`;
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
  // The plan page: a new stack, its resources and their cost.
  await expect(
    page.getByRole('table', { name: `Plan of ${name}` }).getByRole('row'),
  ).toHaveCount(3);
  await page.getByRole('button', { name: 'Review' }).click();
  await snap(page, testInfo, '11-database-review');
  await page.getByRole('button', { name: 'Create' }).click();

  // The task ends with the database's endpoint, the secret RDS keeps its password in and the cost.
  await expect(page.getByText('Endpoint:')).toBeVisible({ timeout: 90_000 });
  await expect(
    page.getByText(`${name}-dev-db.sandbox.us-east-1.rds.amazonaws.com:5432`),
  ).toBeVisible();
  await expect(page.getByText(/:secret:rds!db-[0-9a-f-]{36}-/)).toBeVisible();
  await expect(
    page.getByText(/Estimated cost: \$[\d,]+\.\d\d\/month/),
  ).toBeVisible();
  await snap(page, testInfo, '12-database-done');

  // The task's output links to the run's page: the graph as the run left it.
  await page.getByRole('link', { name: 'Provisioning run' }).click();
  await expect(page.getByText('2 of 2 resources ready')).toBeVisible();
  for (const resource of ['network', 'database'])
    await expect(
      page.getByRole('group', { name: `${resource} ready`, exact: true }),
    ).toBeVisible();
  await expect(
    page.getByText(`${name}-dev-db.sandbox.us-east-1.rds.amazonaws.com`),
  ).toBeVisible();
  await snap(page, testInfo, '13-database-run');
});
