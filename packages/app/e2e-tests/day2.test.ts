import { test, expect } from '@playwright/test';
import { openTemplate, snap } from './helpers';

const sandboxUrl = process.env.KONDUCTOR_SANDBOX_URL ?? 'http://127.0.0.1:4666';

test("a database grown through its form: the plan shows the change in place and its cost, the run makes it, the stack's page keeps both versions", async ({
  page,
  request,
}, testInfo) => {
  // Two database runs (a create and a modification) on a loaded two-core machine.
  test.setTimeout(300_000);
  const name = `grow${Date.now().toString(36)}`;
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();

  const requestDatabase = async (instanceClass?: string) => {
    await openTemplate(page, 'PostgreSQL database');
    await page.getByRole('textbox', { name: 'Name' }).fill(name);
    if (instanceClass) {
      await page.getByRole('button', { name: /^Instance class/ }).click();
      await page.getByRole('option', { name: instanceClass }).click();
    }
    await page.getByRole('button', { name: 'Next' }).click();
  };

  // The first request creates the database.
  await requestDatabase();
  await expect(
    page.getByRole('table', { name: `Plan of ${name}` }),
  ).toBeVisible();
  await expect(page.getByText(`${name} exists`)).toHaveCount(0);
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('Endpoint:')).toBeVisible({ timeout: 90_000 });

  // The same name again with a larger class: the plan is a change of version 1, in place.
  await requestDatabase('db.t4g.small');
  const changes = page.getByRole('table', { name: `Changes to ${name}` });
  await expect(changes).toBeVisible({ timeout: 30_000 });
  await expect(
    page.getByText(`${name} exists: changes to its version 1`),
  ).toContainText('$14.38 → $26.06/month');
  const database = changes.getByRole('row', { name: /^database/ });
  await expect(database).toContainText('update in place, interrupts service');
  await expect(database).toContainText(
    'instanceClass: db.t4g.micro → db.t4g.small',
  );
  await expect(changes.getByRole('row', { name: /^network/ })).toContainText(
    'no change',
  );
  await snap(page, testInfo, '60-change-plan');
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(
    page.getByText(/changes 1 of version 1's resources/),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('Endpoint:')).toBeVisible({ timeout: 90_000 });

  // The run followed RDS through the modification.
  await page.getByRole('link', { name: 'Provisioning run' }).click();
  await expect(page.getByText('2 of 2 resources ready')).toBeVisible();
  await expect(
    page.getByText(`DB instance ${name}-dev-db: modifying DBInstanceClass`),
  ).toBeVisible();
  await snap(page, testInfo, '61-change-run');
  // The database is the larger class in the cloud: RDS's DescribeDBInstances says so.
  const described = await request.post(sandboxUrl, {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIA123456789012/20261203/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=0',
    },
    data: `Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=${name}-dev-db`,
  });
  const xml = await described.text();
  expect(xml).toContain('<DBInstanceClass>db.t4g.small</DBInstanceClass>');
  expect(xml).toContain('<DBInstanceStatus>available</DBInstanceStatus>');

  // The stack's page keeps both versions: who, and what the second changed.
  await expect(async () => {
    await page.goto(`/catalog/default/system/${name}-dev`);
    await expect(
      page
        .getByRole('region', { name: 'Desired state' })
        .getByRole('listitem', { name: 'Version 2' }),
    ).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  const desired = page.getByRole('region', { name: 'Desired state' });
  await expect(
    desired.getByRole('listitem', { name: 'Version 2' }),
  ).toContainText('database.instanceClass: db.t4g.micro → db.t4g.small');
  await expect(
    desired.getByRole('listitem', { name: 'Version 1' }),
  ).toContainText('Created the stack');
  await snap(page, testInfo, '62-stack-versions');
});
