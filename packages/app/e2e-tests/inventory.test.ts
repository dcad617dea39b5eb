import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import {
  brokenWords,
  runTask,
  signInWithGithub,
  snap,
  tokenOf,
} from './helpers';

test('the stack inventory: every team’s stacks with cost and state, filters in the address, totals per team, CSV', async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(300_000);
  const prefix = `inv${Date.now().toString(36)}`;

  // Alice (team-a) and Bob (team-b) each have a database stack, made through the scaffolder.
  const alice = await signInWithGithub(browser, testInfo, 'alice');
  const bob = await signInWithGithub(browser, testInfo, 'bob');
  for (const [page, name, owner] of [
    [alice, `${prefix}a`, 'group:default/team-a'],
    [bob, `${prefix}b`, 'group:default/team-b'],
  ] as const) {
    const made = await runTask(
      request,
      await tokenOf(page),
      'template:default/postgres-database',
      { name, environment: 'dev', owner },
    );
    expect(made.status, made.log).toBe('completed');
  }

  // Carol, a platform admin, opens the inventory from the runs page.
  const carol = await signInWithGithub(browser, testInfo, 'carol');
  await carol.goto('/provisioning');
  await carol.getByRole('tab', { name: 'Stacks' }).click();
  await expect(carol.getByRole('heading', { name: 'Stacks' })).toBeVisible();
  await carol.getByRole('textbox', { name: 'Search stacks' }).fill(prefix);
  const rows = carol.getByRole('table', { name: 'Stacks' }).locator('tbody tr');
  await expect(rows).toHaveCount(2);
  const aliceRow = rows.filter({ hasText: `${prefix}a-dev` });
  await expect(aliceRow).toContainText(/Team A|team-a/);
  await expect(aliceRow).toContainText(/PostgreSQL database|postgres-database/);
  await expect(aliceRow).toContainText('healthy');
  await expect(aliceRow).toContainText(/\$\d+\.\d\d/);
  const cost = (await aliceRow.locator('td').last().innerText()).trim();
  const totals = carol.getByRole('table', { name: 'Monthly cost by team' });
  await expect(totals.locator('tbody tr')).toHaveCount(2);
  await expect(carol.getByLabel('Inventory summary')).toContainText('2 stacks');
  await expect(carol).toHaveURL(new RegExp(`[?&]text=${prefix}`));
  // At the test's 1280 px the eight columns fit their card (nothing to scroll to, no cost
  // hidden), and no word is broken across lines.
  const table = carol.getByRole('table', { name: 'Stacks' });
  expect(
    await table.evaluate(t => t.scrollWidth - t.parentElement!.clientWidth),
  ).toBeLessThanOrEqual(0);
  expect(await brokenWords(table)).toEqual([]);
  await snap(carol, testInfo, '61-inventory');

  // A team's total filters the list to that team, and the filter is in the address: a reload
  // (or a shared link) shows the same view.
  // Teams are named as the catalog presents them, in the totals and the owner filter alike.
  await totals.getByRole('button', { name: 'Team B' }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`${prefix}b-dev`);
  await expect(carol).toHaveURL(/owner=group%3Adefault%2Fteam-b/);
  await expect(carol.getByRole('combobox', { name: 'Owner' })).toHaveText(
    'Team B',
  );
  await carol.reload();
  await expect(rows).toHaveCount(1);
  await expect(
    carol.getByRole('textbox', { name: 'Search stacks' }),
  ).toHaveValue(prefix);
  await snap(carol, testInfo, '62-inventory-one-team');

  // Sorted by cost, most expensive first, across both teams again.
  await carol.goto(`/provisioning/stacks?text=${prefix}`);
  await carol.getByRole('button', { name: 'Monthly cost' }).click();
  await carol.getByRole('button', { name: 'Monthly cost' }).click();
  await expect(carol).toHaveURL(/sort=monthlyCost&order=desc/);
  await expect(rows).toHaveCount(2);

  // The export holds the same stacks, with the cost the page shows.
  const download = carol.waitForEvent('download');
  await carol.getByRole('button', { name: 'Export CSV' }).click();
  const csv = fs.readFileSync(await (await download).path(), 'utf8');
  const lines = csv.trim().split('\r\n');
  expect(lines[0]).toMatch(/^stack,name,environment,account,region,owner,/);
  expect(
    lines
      .slice(1)
      .map(l => l.split(',')[0])
      .sort(),
  ).toEqual([`${prefix}a-dev`, `${prefix}b-dev`]);
  const aliceLine = lines.find(l => l.startsWith(`${prefix}a-dev,`))!;
  expect(aliceLine).toContain(',group:default/team-a,');
  expect(aliceLine).toContain(`,${cost.replace(/[$,]/g, '')},`);

  // Bob sees the inventory too (reading stacks is everyone's), and the state links to the run.
  await bob.goto(
    `/provisioning/stacks?text=${prefix}&owner=group:default/team-a`,
  );
  await expect(
    bob.getByRole('table', { name: 'Stacks' }).locator('tbody tr'),
  ).toHaveCount(1);
  await bob.getByRole('link', { name: `Last run of ${prefix}a-dev` }).click();
  await expect(bob.getByText('2 of 2 resources ready')).toBeVisible();

  // A filter the API refuses is said, with what to change; the page keeps its filters.
  await carol.goto(`/provisioning/stacks?minCost=10&maxCost=5`);
  await expect(
    carol.getByText(
      'Could not load the stacks: Invalid query: minCost: minCost must not be above maxCost',
    ),
  ).toBeVisible();
  await expect(
    carol.getByRole('spinbutton', { name: 'Cost from ($/month)' }),
  ).toHaveValue('10');
  await snap(carol, testInfo, '63-inventory-bad-filter');
});
