import { expect, test } from '@playwright/test';
import { ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import {
  backendUrl,
  brokenWords,
  runTask,
  sandboxRds,
  signInWithGithub,
  snap,
  tokenOf,
} from './helpers';

test("an exemption in the portal: requested by a database's owner on a check it fails after a change outside Konductor, approved by someone else, waiving the check, listed on the dashboard, withdrawn; requested again and rejected with a comment its requester reads; all audited", async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(300_000);
  const name = `exm${Date.now().toString(36)}`;
  const database = `/catalog/default/resource/${name}-dev-database/compliance`;

  // Alice (team-a) has a database stack; its database in the catalog is her team's.
  const alice = await signInWithGithub(browser, testInfo, 'alice');
  const made = await runTask(
    request,
    await tokenOf(alice),
    'template:default/postgres-database',
    { name, environment: 'dev', owner: 'group:default/team-a' },
  );
  expect(made.status, made.log).toBe('completed');
  // Someone cuts its backups to one day outside Konductor, as the RDS API allows.
  await sandboxRds().send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: `${name}-dev-db`,
      BackupRetentionPeriod: 1,
      ApplyImmediately: true,
    }),
  );
  const checks = alice.getByRole('table', { name: 'Compliance checks' });
  await expect(async () => {
    await alice.goto(database);
    const evaluate = alice
      .getByRole('button', { name: 'Evaluate now' })
      .or(alice.getByRole('button', { name: 'Re-check now' }));
    await evaluate.click({ timeout: 5_000 });
    await expect(
      checks.locator('tr[data-check="db-backup-retention"]'),
    ).toContainText('Backups kept 1 days; moderate requires at least 7.', {
      timeout: 5_000,
    });
  }).toPass({ timeout: 90_000 });

  // The backups check fails, and Alice, an owner, may ask to waive it.
  const row = checks.locator('tr[data-check="db-backup-retention"]');
  await expect(row).toContainText('Fail');
  await row.getByRole('button', { name: 'Request exemption' }).click();
  const dialog = alice.getByRole('dialog');
  await expect(dialog).toContainText('Request an exemption from “');
  await dialog.getByRole('textbox', { name: 'Justification' }).fill('later');
  await dialog.getByRole('button', { name: 'Request' }).click();
  await expect(dialog.getByRole('alert')).toHaveText(
    'Invalid exemption: justification: say why the check does not apply (10 characters or more)',
  );
  const why = 'A demo database rebuilt from seed data every night';
  await dialog.getByRole('textbox', { name: 'Justification' }).fill(why);
  await snap(alice, testInfo, '81-exemption-request');
  await dialog.getByRole('button', { name: 'Request' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row).toContainText(
    `Exemption requested by user:default/alice until`,
  );
  await expect(row).toContainText(
    `waiting for someone else to approve it: ${why}`,
  );
  // Her own request: she is offered no Approve (and the API refuses her).
  await expect(row.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await expect(row).toContainText('Fail');

  // It waits in her Approvals inbox too, beside the runs, and she may not approve it there.
  const waiting = (page: typeof alice) =>
    page
      .getByRole('table', { name: 'Exemption requests' })
      .getByRole('row')
      .filter({ hasText: `${name}-dev database` });
  await alice.goto('/provisioning/approvals');
  // People are named as the catalog presents them.
  await expect(waiting(alice)).toContainText('Alice Andersen');
  await expect(waiting(alice)).toContainText(why);
  await expect(
    waiting(alice).getByRole('button', { name: 'Approve' }),
  ).toHaveCount(0);

  // Carol, a platform admin, approves it in her Approvals inbox; re-checked, the check is waived.
  const carol = await signInWithGithub(browser, testInfo, 'carol');
  await carol.goto('/provisioning/approvals');
  await expect(waiting(carol)).toContainText('Alice Andersen');
  await waiting(carol).scrollIntoViewIfNeeded();
  await snap(carol, testInfo, '82-exemption-inbox');
  await waiting(carol).getByRole('button', { name: 'Approve' }).click();
  // She may say something to alice as she approves.
  const approving = carol.getByRole('dialog');
  const condition = 'Set retention back to 7 days once the seed job lands';
  await approving
    .getByRole('textbox', { name: 'Comment (optional)' })
    .fill(condition);
  await snap(carol, testInfo, '82-exemption-approve-comment');
  await approving.getByRole('button', { name: 'Approve' }).click();
  // Approved, it waits no more.
  await expect(approving).toHaveCount(0);
  await expect(waiting(carol)).toHaveCount(0);
  await carol.goto(database);
  const carolRow = carol
    .getByRole('table', { name: 'Compliance checks' })
    .locator('tr[data-check="db-backup-retention"]');
  await expect(carolRow).toContainText(
    `requested by user:default/alice and approved by user:default/carol: ${why}. user:default/carol said: ${condition}`,
  );
  await carol.getByRole('button', { name: 'Re-check now' }).click();
  await expect(carolRow).toContainText('Waived');
  await snap(carol, testInfo, '83-exemption-approved');

  // The dashboard lists it.
  await carol.goto('/compliance');
  const listed = carol
    .getByRole('table', { name: 'Exemptions' })
    .getByRole('row')
    .filter({ hasText: `${name}-dev database` });
  // The entity as the catalog presents it (its title), linking its compliance tab; no word of
  // the list is broken across lines.
  await expect(
    listed.getByRole('link', { name: `${name}-dev database` }),
  ).toHaveAttribute('href', database);
  expect(
    await brokenWords(carol.getByRole('table', { name: 'Exemptions' })),
  ).toEqual([]);
  await expect(listed).toContainText('db-backup-retention');
  await expect(listed).toContainText('waived');
  await expect(listed).toContainText(`Carol Chen: ${condition}`);
  // The posture counts the waiver: no evaluation that read the exemptions before the approval
  // (the hourly one, say) undid it.
  await expect(
    carol.getByText(/could not be checked · [1-9]\d* waived/),
  ).toBeVisible();
  await listed.scrollIntoViewIfNeeded();
  await snap(carol, testInfo, '84-exemptions-dashboard');

  // Alice withdraws it: the check may be asked for again.
  await alice.goto(database);
  await row.getByRole('button', { name: 'Withdraw' }).click();
  await expect(
    row.getByRole('button', { name: 'Request exemption' }),
  ).toBeVisible();

  // She asks again, for longer reasons; Carol rejects it in her inbox, saying why.
  await row.getByRole('button', { name: 'Request exemption' }).click();
  const again = 'Nobody restores this database: it is rebuilt from seed data';
  await dialog.getByRole('textbox', { name: 'Justification' }).fill(again);
  await dialog.getByRole('button', { name: 'Request' }).click();
  await expect(row).toContainText(`waiting for someone else to approve it`);
  await carol.goto('/provisioning/approvals');
  await waiting(carol).getByRole('button', { name: 'Reject' }).click();
  const rejecting = carol.getByRole('dialog');
  await expect(rejecting).toContainText(`user:default/alice asked: ${again}`);
  const comment = rejecting.getByRole('textbox', { name: 'Comment' });
  await comment.fill('no');
  await rejecting.getByRole('button', { name: 'Reject' }).click();
  await expect(rejecting.getByRole('alert')).toHaveText(
    'Invalid rejection: comment: tell the requester why (10 characters or more)',
  );
  const because =
    'Seed data or not, moderate needs 7 days of backups: set it back';
  await comment.fill(because);
  await snap(carol, testInfo, '85-exemption-reject');
  await rejecting.getByRole('button', { name: 'Reject' }).click();
  await expect(rejecting).toHaveCount(0);
  await expect(waiting(carol)).toHaveCount(0);

  // Alice reads why on the check, which still fails and may be asked for again, and is told.
  await alice.goto(database);
  await expect(row).toContainText(
    `Exemption requested by user:default/alice rejected by user:default/carol: ${because}`,
  );
  await expect(row).toContainText('Fail');
  await expect(
    row.getByRole('button', { name: 'Request exemption' }),
  ).toBeVisible();
  await snap(alice, testInfo, '86-exemption-rejected');
  const told = (
    await (
      await request.get(
        `${backendUrl}/api/notifications/?topic=compliance-exemption`,
        { headers: { authorization: `Bearer ${await tokenOf(alice)}` } },
      )
    ).json()
  ).notifications.map((n: any) => [n.payload.title, n.payload.description]);
  const subject = `db-backup-retention of resource:default/${name}-dev-database`;
  expect(told).toContainEqual([
    `Exemption approved: ${subject}`,
    expect.stringMatching(
      new RegExp(`^user:default/carol approved it: .* ${condition}$`),
    ),
  ]);
  expect(told).toContainEqual([
    `Exemption rejected: ${subject}`,
    `user:default/carol rejected it: ${because}`,
  ]);

  // The request, the approval and the withdrawal are in the audit trail, each as its person's.
  const audit = async (eventId: string, actor: string) =>
    (
      await (
        await request.get(
          `${backendUrl}/api/audit/events?eventId=${eventId}&actor=${actor}&status=succeeded`,
          { headers: { authorization: `Bearer ${await tokenOf(carol)}` } },
        )
      ).json()
    ).items.length;
  expect(await audit('exemption-create', 'user:default/alice')).toBeGreaterThan(
    0,
  );
  expect(
    await audit('exemption-approve', 'user:default/carol'),
  ).toBeGreaterThan(0);
  expect(await audit('exemption-delete', 'user:default/alice')).toBeGreaterThan(
    0,
  );
  expect(await audit('exemption-reject', 'user:default/carol')).toBeGreaterThan(
    0,
  );
});
