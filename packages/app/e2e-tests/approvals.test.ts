import { expect, test } from '@playwright/test';
import {
  backendUrl,
  brokenWords,
  chooseOwner,
  openTemplate,
  runTask,
  signInWithGithub,
  snap,
  tokenOf,
} from './helpers';

test('a prod request waits for approval holding no worker; its requester cannot approve it; an admin approves it in the inbox, the run goes on and the requester is told', async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(300_000);
  const name = `appr${Date.now().toString(36)}`;
  const alice = await signInWithGithub(browser, testInfo, 'alice');
  const aliceAuth = { authorization: `Bearer ${await tokenOf(alice)}` };

  // Alice (team-a) asks for a prod database: the plan page says it waits for approval.
  await openTemplate(alice, 'PostgreSQL database');
  await alice.getByRole('textbox', { name: 'Name' }).fill(name);
  await alice.getByRole('button', { name: /^Environment/ }).click();
  await alice.getByRole('option', { name: 'prod' }).click();
  await chooseOwner(alice, 'Team A');
  await alice.getByRole('button', { name: 'Next' }).click();
  const notice = alice.getByRole('alert', { name: 'Approval' });
  await expect(notice).toContainText(
    'This run waits for approval before anything is created or changed',
  );
  await expect(notice).toContainText(
    "prod stacks are created, changed and destroyed with a platform admin's approval",
  );
  await snap(alice, testInfo, '81-plan-needs-approval');
  await alice.getByRole('button', { name: 'Review' }).click();
  await alice.getByRole('button', { name: 'Create' }).click();

  // The task ends, saying why and who may approve: no worker waits.
  await expect(alice).toHaveURL(/\/create\/tasks\//);
  const taskId = alice.url().split('/create/tasks/')[1].split(/[/?#]/)[0];
  const task = async () =>
    (
      await request.get(`${backendUrl}/api/scaffolder/v2/tasks/${taskId}`, {
        headers: aliceAuth,
      })
    ).json();
  await expect
    .poll(async () => (await task()).status, { timeout: 60_000 })
    .toBe('failed');
  // The task page's error says why it ended (its logs may be open or closed by then).
  await alice.reload();
  await expect(
    alice.getByText(/Waiting for approval \(request /).first(),
  ).toBeVisible();
  // It names who may approve as the catalog presents them, not by their refs.
  await expect(
    alice
      .getByText(/Platform team( or Platform admins)? may approve it in/)
      .first(),
  ).toBeVisible();
  // Nothing of the stack was created: no run, no database.
  const runs = await request.get(
    `${backendUrl}/api/provisioning/runs?stackId=${name}-prod`,
    { headers: aliceAuth },
  );
  expect((await runs.json()).totalCount).toBe(0);
  await snap(alice, testInfo, '82-task-waiting');

  // The error links the inbox: Alice follows it and sees her request, without a way to decide
  // it; the API refuses her too.
  await alice
    .getByRole('link', { name: 'Provisioning → Approvals' })
    .first()
    .click();
  await expect(alice).toHaveURL(/\/provisioning\/approvals$/);
  const aliceRow = alice.getByRole('row', { name: `New stack ${name}-prod` });
  await expect(aliceRow).toContainText('Waiting, expires');
  await expect(aliceRow).toContainText('Waits for Platform team');
  await expect(aliceRow.getByRole('button', { name: 'Decide' })).toHaveCount(0);
  await snap(alice, testInfo, '83-inbox-requester');
  const listed = await request.get(
    `${backendUrl}/api/provisioning/approvals?state=pending`,
    { headers: aliceAuth },
  );
  const mine = (await listed.json()).items.find(
    (r: any) => r.stackId === `${name}-prod`,
  );
  expect(mine).toMatchObject({
    requestedBy: 'user:default/alice',
    mayDecide: false,
    taskId,
  });
  const own = await request.post(
    `${backendUrl}/api/provisioning/approvals/${mine.id}/decision`,
    { headers: aliceAuth, data: { decision: 'approve' } },
  );
  expect(own.status()).toBe(403);
  expect((await own.json()).error.message).toContain(
    'You asked for this run: someone else',
  );

  // Carol, a platform admin, approves it from her inbox with the plan, cost and verdict in view.
  const carol = await signInWithGithub(browser, testInfo, 'carol');
  const carolAuth = { authorization: `Bearer ${await tokenOf(carol)}` };
  await carol.goto('/provisioning');
  await carol.getByRole('tab', { name: 'Approvals' }).click();
  const row = carol.getByRole('row', { name: `New stack ${name}-prod` });
  await expect(row).toContainText('moderate: passes');
  await expect(row).toContainText('database:');
  await expect(row).toContainText('Alice Andersen');
  // At 1280 px the row's columns are narrow: its words wrap whole. Backstage's theme let cells
  // break inside words (`word-break: break-word`) and cut the stack's name in two; the app's theme
  // wraps between words.
  expect(await brokenWords(row)).toEqual([]);
  expect(
    await row
      .getByRole('cell')
      .first()
      .evaluate(cell => getComputedStyle(cell).wordBreak),
  ).toBe('normal');
  await snap(carol, testInfo, '84-inbox-approver');
  await row.getByRole('button', { name: 'Decide' }).click();
  const dialog = carol.getByRole('dialog');
  // A rejection without a reason is refused, saying so; the dialog stays.
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await expect(dialog.getByRole('alert')).toContainText(
    'say why the request is rejected',
  );
  await dialog
    .getByRole('textbox', { name: 'Comment' })
    .fill('prod capacity checked');
  await snap(carol, testInfo, '85-decide');
  await dialog.getByRole('button', { name: 'Approve' }).click();
  await expect(dialog).toHaveCount(0);
  await carol.getByRole('button', { name: 'All' }).click();
  await expect(
    carol.getByRole('row', { name: `New stack ${name}-prod` }),
  ).toContainText('Approved by Carol Chen: prod capacity checked');

  // The task goes on by itself, from where it stopped, and creates the database.
  await expect
    .poll(async () => (await task()).status, { timeout: 180_000 })
    .toBe('completed');
  const stack = await request.get(
    `${backendUrl}/api/provisioning/stacks/123456789012/us-east-1/${name}-prod`,
    { headers: aliceAuth },
  );
  expect(stack.status()).toBe(200);
  expect((await stack.json()).createdBy).toBe('user:default/alice');

  // Alice is told, in her notifications.
  const notifications = await request.get(
    `${backendUrl}/api/notifications/?topic=provisioning-approval`,
    { headers: aliceAuth },
  );
  const titles = (await notifications.json()).notifications.map(
    (n: any) => n.payload.title,
  );
  expect(titles).toContainEqual(
    expect.stringMatching(
      new RegExp(
        `^Approved by Carol Chen: New stack ${name}-prod \\(prod, Team A, `,
      ),
    ),
  );
  await alice.goto('/notifications');
  await expect(
    alice.getByText(`Approved by Carol Chen: New stack ${name}-prod`, {
      exact: false,
    }),
  ).toBeVisible();
  await snap(alice, testInfo, '86-requester-notified');

  // The request, alice's refused attempt and carol's approval are in the audit trail.
  const audit = async (eventId: string) =>
    (
      await (
        await request.get(`${backendUrl}/api/audit/events?eventId=${eventId}`, {
          headers: carolAuth,
        })
      ).json()
    ).items.filter((r: any) => r.subject?.includes(`${name}-prod`));
  expect(await audit('approval-request')).toHaveLength(1);
  const decisions = await audit('approval-decide');
  expect(decisions.map((r: any) => `${r.actor} ${r.status}`).sort()).toEqual([
    'user:default/alice failed',
    'user:default/carol failed',
    'user:default/carol succeeded',
  ]);
});

test('a prod EKS service waits for approval before its repository is created; its requester withdraws it from the inbox; then nobody can approve it, and its approvers are told', async ({
  browser,
  request,
}, testInfo) => {
  const name = `wdr${Date.now().toString(36)}`;
  const alice = await signInWithGithub(browser, testInfo, 'alice');
  const waiting = await runTask(
    request,
    await tokenOf(alice),
    'template:default/eks-app-stack',
    {
      name,
      description: 'Keeps the ledger.',
      owner: 'group:default/team-a',
      repoUrl: `127.0.0.1:4666?owner=acme&repo=${name}`,
      location: { accountId: '123456789012', region: 'us-east-1' },
      environment: 'prod',
      complianceLevel: 'moderate',
      instanceClass: 'db.t4g.micro',
      nodeInstanceType: 't3.medium',
    },
  );
  expect(waiting.status).toBe('failed');
  expect(waiting.log).toContain('Waiting for approval (request ');
  expect(waiting.log).toMatch(
    /Platform team( or Platform admins)? may approve it in /,
  );
  // A wait is not a crash: the log says why, without Node's stack.
  expect(waiting.log).not.toMatch(/\n\s+at /);
  // The stack was reserved first: while it waits, no repository exists.
  const repo = await request.get(
    `http://127.0.0.1:4666/github/repos/acme/${name}`,
    { headers: { authorization: 'token sandbox' } },
  );
  expect(repo.status()).toBe(404);

  await alice.goto('/provisioning/approvals');
  const row = alice.getByRole('row', { name: `New stack ${name}-prod` });
  await expect(row).toContainText('Waiting, expires');
  await row
    .getByRole('button', { name: `Withdraw the request for ${name}-prod` })
    .click();
  await expect(row).toHaveCount(0);
  await alice.getByRole('button', { name: 'All' }).click();
  await expect(row).toContainText('Withdrawn by Alice Andersen');
  await snap(alice, testInfo, '87-request-withdrawn');

  // Carol, an admin, has nothing to decide: the inbox offers no decision, the API refuses one.
  const carol = await signInWithGithub(browser, testInfo, 'carol');
  const carolAuth = { authorization: `Bearer ${await tokenOf(carol)}` };
  const listed = await request.get(`${backendUrl}/api/provisioning/approvals`, {
    headers: carolAuth,
  });
  const withdrawn = (await listed.json()).items.find(
    (r: any) => r.stackId === `${name}-prod`,
  );
  expect(withdrawn).toMatchObject({ state: 'withdrawn', mayWithdraw: false });
  const late = await request.post(
    `${backendUrl}/api/provisioning/approvals/${withdrawn.id}/decision`,
    { headers: carolAuth, data: { decision: 'approve' } },
  );
  expect(late.status()).toBe(409);
  expect((await late.json()).error.message).toBe(
    `Request ${withdrawn.id} is already withdrawn by Alice Andersen`,
  );
  const notifications = await request.get(
    `${backendUrl}/api/notifications/?topic=provisioning-approval`,
    { headers: carolAuth },
  );
  expect(
    (await notifications.json()).notifications.map((n: any) => n.payload.title),
  ).toContainEqual(
    expect.stringMatching(
      new RegExp(
        `^Withdrawn by Alice Andersen: New stack ${name}-prod \\(prod, Team A, `,
      ),
    ),
  );
});
