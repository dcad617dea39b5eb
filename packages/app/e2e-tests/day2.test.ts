import { test, expect } from '@playwright/test';
import {
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { enterAsGuest, openTemplate, sandboxRds, snap } from './helpers';

test("a database grown, reverted and destroyed from its stack's page: the plan shows the change in place and its cost, the run makes it, the page keeps both versions; a change made outside is found by one scan and reverted, then another accepted as the next version; the destroy is confirmed by name and leaves nothing in the cloud or the catalog", async ({
  page,
}, testInfo) => {
  // Four database runs (a create, a modification, a revert, a destroy) on a loaded two-core
  // machine.
  test.setTimeout(420_000);
  const name = `grow${Date.now().toString(36)}`;
  await page.goto('/');
  await enterAsGuest(page);

  // RDS as anyone with the account's keys reaches it, outside Konductor.
  const rds = sandboxRds();
  const instance = async () =>
    (
      await rds.send(
        new DescribeDBInstancesCommand({
          DBInstanceIdentifier: `${name}-dev-db`,
        }),
      )
    ).DBInstances![0];
  const growOutside = () =>
    rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: `${name}-dev-db`,
        DBInstanceClass: 'db.t4g.medium',
        ApplyImmediately: true,
      }),
    );
  const stackPage = async (version: number) => {
    await expect(async () => {
      await page.goto(`/catalog/default/system/${name}-dev`);
      await expect(
        page
          .getByRole('region', { name: 'Desired state' })
          .getByRole('listitem', { name: `Version ${version}` }),
      ).toBeVisible({ timeout: 3_000 });
    }).toPass({ timeout: 60_000 });
    return page.getByRole('region', { name: 'Desired state' });
  };

  // The first request creates the database.
  await openTemplate(page, 'PostgreSQL database');
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByRole('table', { name: `Plan of ${name}` }),
  ).toBeVisible();
  await expect(page.getByText(`${name} exists`)).toHaveCount(0);
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('Endpoint:')).toBeVisible({ timeout: 90_000 });

  // Change, on the stack's page: its form again, filled with the values of version 1, the name
  // kept; a larger class is a change of version 1, in place.
  await (await stackPage(1)).getByRole('link', { name: 'Change' }).click();
  const nameField = page.getByRole('textbox', { name: 'Name' });
  await expect(nameField).toHaveValue(name);
  await expect(nameField).toBeDisabled();
  await expect(
    page.getByRole('combobox', { name: 'Instance class' }),
  ).toContainText('db.t4g.micro');
  await page.getByRole('combobox', { name: 'Instance class' }).click();
  await page.getByRole('option', { name: 'db.t4g.small' }).click();
  await snap(page, testInfo, '59-change-form');
  await page.getByRole('button', { name: 'Next' }).click();
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
  // The run page offers the stack's Change and Destroy too.
  await expect(page.getByRole('link', { name: 'Change' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Destroy' })).toBeVisible();
  await snap(page, testInfo, '61-change-run');
  // The database is the larger class in the cloud: RDS's DescribeDBInstances says so.
  expect(await instance()).toMatchObject({
    DBInstanceClass: 'db.t4g.small',
    DBInstanceStatus: 'available',
  });

  // The stack's page keeps both versions: who, and what the second changed.
  const desired = await stackPage(2);
  await expect(
    desired.getByRole('listitem', { name: 'Version 2' }),
  ).toContainText('database.instanceClass: db.t4g.micro → db.t4g.small');
  await expect(
    desired.getByRole('listitem', { name: 'Version 1' }),
  ).toContainText('Created the stack');
  await snap(page, testInfo, '62-stack-versions');

  // Changed outside Konductor, as in the console: a larger class, applied now.
  await growOutside();
  const grown = async () =>
    expect(await instance()).toMatchObject({
      DBInstanceClass: 'db.t4g.medium',
      DBInstanceStatus: 'available',
    });
  await expect(grown).toPass({ timeout: 30_000 });

  // One scan on request finds it, attribute by attribute.
  const drift = desired.getByRole('region', { name: 'Drift' });
  await drift.getByRole('button', { name: 'Check now' }).click();
  const drifted = drift.getByRole('table', { name: 'Drifted attributes' });
  await expect(drifted.getByRole('row', { name: /^database/ })).toContainText(
    'instanceClassdb.t4g.smalldb.t4g.medium',
    { timeout: 30_000 },
  );
  await expect(drift).toContainText('1 of 2 resources differ from version 2');
  await snap(page, testInfo, '63-drift');

  // Compliance reads the scan as evidence: the database fails configuration change control.
  const stackPageUrl = page.url();
  await expect(async () => {
    await page.goto(
      `/catalog/default/resource/${name}-dev-database/compliance`,
    );
    await expect(page.locator('[data-check="config-drift"]')).toContainText(
      'instanceClass is db.t4g.medium, version 2 says db.t4g.small',
      { timeout: 5_000 },
    );
  }).toPass({ timeout: 60_000 });
  await expect(page.locator('[data-check="config-drift"]')).toContainText(
    'CM-3',
  );
  await snap(page, testInfo, '63-drift-compliance');
  // The catalog tags what drifted: the database and its stack, not the network.
  // The About card's tags, once the entity's page shows them.
  const tagsOf = async (entity: string) => {
    await page.goto(`/catalog/default/${entity}`);
    const tags = page.locator('.MuiChip-root');
    await expect(tags.filter({ hasText: /^konductor$/ })).toBeVisible({
      timeout: 5_000,
    });
    return tags;
  };
  await expect(async () => {
    const tags = await tagsOf(`resource/${name}-dev-database`);
    await expect(tags.filter({ hasText: /^drifted$/ })).toBeVisible({
      timeout: 2_000,
    });
  }).toPass({ timeout: 60_000 });
  await snap(page, testInfo, '63-drift-tag');
  await expect(
    (
      await tagsOf(`resource/${name}-dev-network`)
    ).getByText('drifted', {
      exact: true,
    }),
  ).toHaveCount(0);
  await page.goto(stackPageUrl);

  // Revert: the change form with version 2's values; its run brings the class back.
  await page
    .getByRole('region', { name: 'Drift' })
    .getByRole('link', { name: 'Revert' })
    .click();
  await expect(
    page.getByRole('combobox', { name: 'Instance class' }),
  ).toContainText('db.t4g.small');
  await page.getByRole('button', { name: 'Next' }).click();
  // The plan starts from what the cloud has: the class goes back, in place.
  const revertPlan = page.getByRole('table', { name: `Changes to ${name}` });
  await expect(
    revertPlan.getByRole('row', { name: /^database/ }),
  ).toContainText('instanceClass: db.t4g.medium → db.t4g.small', {
    timeout: 30_000,
  });
  await expect(
    page.getByText(/^From what the cloud has, as the drift scan of/),
  ).toBeVisible();
  await snap(page, testInfo, '64-revert-plan');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('Endpoint:')).toBeVisible({ timeout: 90_000 });
  expect((await instance()).DBInstanceClass).toBe('db.t4g.small');
  // The run's end asks for a scan of its stack: in sync, with nobody pressing Check now, and
  // the catalog's drifted tag goes.
  let reverted = page.getByRole('region', { name: 'Desired state' });
  await expect(async () => {
    reverted = await stackPage(2);
    await expect(reverted.getByRole('region', { name: 'Drift' })).toContainText(
      'In sync: every attribute Konductor reads back is as version 2 says',
      { timeout: 10_000 },
    );
  }).toPass({ timeout: 60_000 });
  await snap(page, testInfo, '64-revert-in-sync');
  await expect(async () => {
    const tags = await tagsOf(`resource/${name}-dev-database`);
    await expect(tags.filter({ hasText: /^drifted$/ })).toHaveCount(0, {
      timeout: 2_000,
    });
  }).toPass({ timeout: 60_000 });
  await stackPage(2);
  // The revert changed no desired state: still two versions.
  await expect(
    reverted.getByRole('listitem', { name: 'Version 3' }),
  ).toHaveCount(0);

  // Changed outside again, and this time kept: Accept opens the change form with the live
  // class; its run changes nothing in the cloud and records the class as version 3.
  await growOutside();
  await expect(grown).toPass({ timeout: 30_000 });
  const again = reverted.getByRole('region', { name: 'Drift' });
  await again.getByRole('button', { name: 'Check now' }).click();
  await expect(again).toContainText('1 of 2 resources differ from version 2', {
    timeout: 30_000,
  });
  await snap(page, testInfo, '64-drift-accept');
  await again.getByRole('link', { name: 'Accept' }).click();
  await expect(
    page.getByRole('combobox', { name: 'Instance class' }),
  ).toContainText('db.t4g.medium');
  await page.getByRole('button', { name: 'Next' }).click();
  const acceptPlan = page.getByRole('table', { name: `Changes to ${name}` });
  await expect(
    acceptPlan.getByRole('row', { name: /^database/ }),
  ).toContainText('no change', { timeout: 30_000 });
  await expect(
    page.getByText(
      /the run changes nothing in the cloud and keeps these values/,
    ),
  ).toBeVisible();
  await snap(page, testInfo, '64-accept-plan');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('Endpoint:')).toBeVisible({ timeout: 90_000 });
  expect((await instance()).DBInstanceClass).toBe('db.t4g.medium');
  const accepted = await stackPage(3);
  await expect(
    accepted.getByRole('listitem', { name: 'Version 3' }),
  ).toContainText('database.instanceClass: db.t4g.small → db.t4g.medium');
  await accepted
    .getByRole('region', { name: 'Drift' })
    .getByRole('button', { name: 'Check now' })
    .click();
  await expect(accepted.getByRole('region', { name: 'Drift' })).toContainText(
    'In sync: every attribute Konductor reads back is as version 3 says',
    { timeout: 30_000 },
  );

  // Destroy, on the stack's page: the destroy form, filled with the stack; the name typed
  // wrong is refused before anything is deleted.
  await accepted.getByRole('link', { name: 'Destroy' }).click();
  await expect(
    page.getByRole('textbox', { name: 'Stack name', exact: true }),
  ).toHaveValue(name);
  const confirmation = page.getByRole('textbox', {
    name: /^Stack name, to confirm/,
  });
  await confirmation.fill(`${name}x`);
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(confirmation).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#root_confirmation__error')).toHaveText(
    `Type the name, ${name}, exactly as it is written to confirm`,
  );
  await snap(page, testInfo, '65-destroy-form');
  await confirmation.fill(name);
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText(`${name}-dev-db`).first()).toBeVisible({
    timeout: 90_000,
  });
  await expect(page.getByRole('heading', { name: 'Deleted' })).toBeVisible();
  await snap(page, testInfo, '66-destroyed');

  // Nothing is left in the cloud, and the catalog forgets the stack.
  await expect(instance()).rejects.toMatchObject({
    name: 'DBInstanceNotFoundFault',
    $metadata: { httpStatusCode: 404 },
  });
  await expect(async () => {
    await page.goto(`/catalog/default/system/${name}-dev`);
    await expect(page.getByText(/was not found|Entity not found/)).toBeVisible({
      timeout: 3_000,
    });
  }).toPass({ timeout: 60_000 });
});
