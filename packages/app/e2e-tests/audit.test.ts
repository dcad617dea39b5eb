import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { runTask, signInWithGithub, snap, tokenOf } from './helpers';

test('the audit trail: what each person did, kept and shown to admins only, with filters and CSV', async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(300_000);
  const name = `aud${Date.now().toString(36)}`;
  const stack = `123456789012/us-east-1/${name}-dev`;

  // Alice (team-a) makes a database stack; Bob (team-b) asks for the same name and is refused.
  const alice = await signInWithGithub(browser, testInfo, 'alice');
  const made = await runTask(
    request,
    await tokenOf(alice),
    'template:default/postgres-database',
    { name, environment: 'dev', owner: 'group:default/team-a' },
  );
  expect(made.status, made.log).toBe('completed');
  const bob = await signInWithGithub(browser, testInfo, 'bob');
  const refused = await runTask(
    request,
    await tokenOf(bob),
    'template:default/postgres-database',
    { name, environment: 'dev', owner: 'group:default/team-b' },
  );
  expect(refused.status).toBe('failed');

  // Carol, a platform admin, finds both on the Audit page.
  const carol = await signInWithGithub(browser, testInfo, 'carol');
  await carol.goto('/provisioning');
  await carol.getByRole('tab', { name: 'Audit' }).click();
  await carol
    .getByRole('textbox', { name: 'On (stack, entity, task) or details' })
    .fill(name);
  const rows = carol
    .getByRole('table', { name: 'Audit trail' })
    .locator('tbody tr');
  const claims = rows.filter({ hasText: 'stack-claim' });
  await expect(claims).toHaveCount(2);
  // Newest first: Bob's refused claim, then Alice's.
  await expect(claims.nth(0)).toContainText('user:default/bob');
  await expect(claims.nth(0)).toContainText('failed');
  await expect(claims.nth(0)).toContainText(`belongs to Team A, not Team B`);
  await expect(claims.nth(0)).toContainText(
    'POST /api/provisioning/stacks/claims',
  );
  await expect(claims.nth(1)).toContainText('user:default/alice');
  await expect(claims.nth(1)).toContainText('succeeded');
  await expect(claims.nth(1)).toContainText(stack);
  // The scaffolder's own events are there too: Alice's task, which named the stack.
  await expect(
    rows
      .filter({ hasText: 'task (execution)' })
      .filter({ hasText: 'template:default/postgres-database' })
      .first(),
  ).toBeVisible();
  // The trail fits the page at the test's 1280 px: the page itself does not scroll sideways.
  expect(
    await carol.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    ),
  ).toBeLessThanOrEqual(0);
  await snap(carol, testInfo, '71-audit');

  // Filters are in the address; one person's actions only.
  await carol
    .getByRole('textbox', { name: 'Who (user:default/…)' })
    .fill('user:default/bob');
  await expect(carol).toHaveURL(/actor=user%3Adefault%2Fbob/);
  await expect(rows.filter({ hasText: 'user:default/alice' })).toHaveCount(0);
  await expect(claims).toHaveCount(1);

  // The export has the same records.
  const download = carol.waitForEvent('download');
  await carol.getByRole('button', { name: 'Export CSV' }).click();
  const lines = fs
    .readFileSync(await (await download).path(), 'utf8')
    .trim()
    .split('\r\n');
  expect(lines[0]).toBe(
    'at,actor,plugin,event,action,subject,status,severity,request,error,meta',
  );
  expect(lines.filter(l => l.includes(',provisioning,stack-claim,'))).toEqual([
    expect.stringContaining(`,user:default/bob,`),
  ]);

  // The policy in force when the backend started is recorded too (a change at a later start
  // would say which fields changed).
  await carol.goto('/provisioning/audit?subject=konductor.permissions');
  const policy = rows.filter({ hasText: 'policy-change' });
  await expect(policy).toHaveCount(1);
  await expect(policy).toContainText('baseline');
  await expect(policy).toContainText('group:default/platform-admins');
  await snap(carol, testInfo, '73-audit-policy');

  // Bob has no Audit tab, and the page tells him why it shows nothing.
  await bob.goto('/provisioning');
  await expect(bob.getByRole('tab', { name: 'Stacks' })).toBeVisible();
  await expect(bob.getByRole('tab', { name: 'Audit' })).toHaveCount(0);
  await bob.goto('/provisioning/audit');
  await expect(
    bob.getByText(
      'Could not load the audit trail: Only platform admins may read the audit trail',
    ),
  ).toBeVisible();
  await snap(bob, testInfo, '72-audit-not-for-bob');
});
