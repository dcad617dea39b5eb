import { test, expect } from '@playwright/test';
import { snap, templateCard } from './helpers';

test('a developer requests object storage: a resource kind a module adds, from form to run to catalog', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await nav.getByRole('link', { name: /Create/ }).click();
  await templateCard(page, 'Object storage')
    .getByRole('button', { name: 'Choose' })
    .click();
  const name = `obj${Date.now().toString(36)}`;
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('spinbutton', { name: /Retention/ }).fill('30');
  await page.getByRole('button', { name: 'Next' }).click();

  // The plan, cost and verdict come from the bucket kind's own definition and checks.
  const plan = page.getByRole('table', { name: `Plan of ${name}` });
  await expect(plan).toContainText(
    'KMS-encrypted, versioned, public access blocked, objects expire after 30 days',
  );
  await expect(plan).toContainText('files (bucket)');
  await expect(
    page.getByText('Passes the compliance gate at the moderate level (dev).'),
  ).toBeVisible();
  await snap(page, testInfo, '30-bucket-plan');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  const run = page.getByRole('link', { name: 'Provisioning run' });
  await expect(run).toBeVisible({ timeout: 90_000 });
  await run.click();
  await expect(page.getByText('1 of 1 resources ready')).toBeVisible();
  const node = page.getByRole('group', { name: 'files ready', exact: true });
  await expect(node).toContainText('files · bucket');
  await expect(page.getByText(`${name}-dev-files`).first()).toBeVisible();
  await snap(page, testInfo, '31-bucket-run');

  // The catalog holds the bucket as a Resource of the kind's catalog type.
  await expect(async () => {
    await page.goto(`/catalog/default/resource/${name}-dev-files`);
    await expect(page.getByText('aws-s3-bucket').first()).toBeVisible({
      timeout: 3_000,
    });
  }).toPass({ timeout: 60_000 });
  // Its compliance comes from the kind's checks, with facts read from S3 itself:
  // evaluated when the catalog announces the entity, or now on request.
  const card = page.getByRole('region', { name: 'Compliance' });
  const evaluate = card.getByRole('button', { name: 'Evaluate now' });
  await expect(card.getByLabel('Compliance score').or(evaluate)).toBeVisible({
    timeout: 30_000,
  });
  if (await evaluate.isVisible()) await evaluate.click();
  await expect(card.getByText(/\d+ passed, 0 failed/)).toBeVisible({
    timeout: 30_000,
  });
  await snap(page, testInfo, '32-bucket-in-catalog');
  await page.goto(`/catalog/default/resource/${name}-dev-files/compliance`);
  for (const check of [
    'Bucket not public',
    'Bucket encrypted at rest',
    'Bucket versioned',
  ])
    await expect(page.getByText(check, { exact: true }).first()).toBeVisible();
  await snap(page, testInfo, '33-bucket-compliance');
});
