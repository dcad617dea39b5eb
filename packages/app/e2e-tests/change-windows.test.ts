import { expect, test } from '@playwright/test';
import {
  backendUrl,
  chooseOwner,
  openTemplate,
  signInWithGithub,
  snap,
  tokenOf,
} from './helpers';

test('a freeze declared by an admin holds a prod request for its emergency approver, the plan page says so, and the emergency approval lets it through', async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(300_000);
  const name = `frz${Date.now().toString(36)}`;
  const why = `Release freeze ${name}`;
  const carol = await signInWithGithub(browser, testInfo, 'carol');
  const carolAuth = { authorization: `Bearer ${await tokenOf(carol)}` };
  const windows = async () =>
    (
      await (
        await request.get(`${backendUrl}/api/provisioning/change-windows`, {
          headers: carolAuth,
        })
      ).json()
    ).items as any[];

  try {
    // Carol, a platform admin, declares a freeze of prod from now for a day, with bob (on call)
    // as its emergency approver. Without a reason, the form says what is missing and stays.
    await carol.goto('/provisioning/change-windows');
    await carol.getByRole('button', { name: 'Declare a freeze' }).click();
    const dialog = carol.getByRole('dialog');
    await dialog
      .getByRole('textbox', { name: 'Emergency approvers' })
      .fill('user:default/bob');
    await dialog.getByRole('button', { name: 'Declare' }).click();
    await expect(dialog.getByRole('alert')).toContainText(
      'description: say why changes are frozen',
    );
    await dialog.getByRole('textbox', { name: 'Why' }).fill(why);
    await snap(carol, testInfo, '91-declare-freeze');
    await dialog.getByRole('button', { name: 'Declare' }).click();
    await expect(dialog).toHaveCount(0);
    const row = carol.getByRole('row', { name: new RegExp(why) });
    await expect(row).toContainText('In force');
    // Its approver and who declared it, as the catalog names them.
    await expect(row).toContainText('Bob Baptiste');
    await expect(row).toContainText('Carol Chen, ');
    await expect(
      carol.getByRole('alert', { name: 'Freeze in force' }).filter({
        hasText: why,
      }),
    ).toContainText('Runs there wait for Bob Baptiste');
    await snap(carol, testInfo, '92-freeze-in-force');

    // Alice (team-a) sees it and cannot declare one; her prod request's plan page says it waits
    // for the freeze's emergency approver, not for the usual prod approvers.
    const alice = await signInWithGithub(browser, testInfo, 'alice');
    const aliceAuth = { authorization: `Bearer ${await tokenOf(alice)}` };
    await alice.goto('/provisioning/change-windows');
    await expect(
      alice.getByRole('row', { name: new RegExp(why) }),
    ).toContainText('In force');
    await expect(
      alice.getByRole('button', { name: 'Declare a freeze' }),
    ).toHaveCount(0);
    await openTemplate(alice, 'PostgreSQL database');
    await alice.getByRole('textbox', { name: 'Name' }).fill(name);
    await alice.getByRole('button', { name: /^Environment/ }).click();
    await alice.getByRole('option', { name: 'prod' }).click();
    await chooseOwner(alice, 'Team A');
    await alice.getByRole('button', { name: 'Next' }).click();
    const notice = alice.getByRole('alert', { name: 'Approval' });
    await expect(notice).toContainText(
      `${why} (until ${
        (await windows()).find(w => w.description === why).to
      }: an emergency change only)`,
    );
    // Its approver as the catalog names them.
    await expect(notice).toContainText('Bob Baptiste may approve it');
    await expect(notice).not.toContainText("a platform admin's approval");
    await snap(alice, testInfo, '93-plan-frozen');
    await alice.getByRole('button', { name: 'Review' }).click();
    await alice.getByRole('button', { name: 'Create' }).click();
    await expect(alice).toHaveURL(/\/create\/tasks\//);
    const taskId = alice.url().split('/create/tasks/')[1].split(/[/?#]/)[0];
    const task = async () =>
      (
        await request.get(`${backendUrl}/api/scaffolder/v2/tasks/${taskId}`, {
          headers: aliceAuth,
        })
      ).json();

    // Nothing is created while the freeze holds it: the request waits for bob.
    const requestRow = async () => {
      const listed = await request.get(
        `${backendUrl}/api/provisioning/approvals?state=pending`,
        { headers: carolAuth },
      );
      return (await listed.json()).items.find(
        (r: any) => r.stackId === `${name}-prod`,
      );
    };
    await expect.poll(requestRow, { timeout: 60_000 }).toMatchObject({
      approvers: ['user:default/bob'],
      taskId,
    });
    const runs = await request.get(
      `${backendUrl}/api/provisioning/runs?stackId=${name}-prod`,
      { headers: aliceAuth },
    );
    expect((await runs.json()).totalCount).toBe(0);

    // Bob, who may not approve prod otherwise, lets it through from his inbox.
    const bob = await signInWithGithub(browser, testInfo, 'bob');
    await bob.goto('/provisioning/approvals');
    const waiting = bob.getByRole('row', { name: `New stack ${name}-prod` });
    await expect(waiting).toContainText(why);
    await waiting.getByRole('button', { name: 'Decide' }).click();
    await bob
      .getByRole('dialog')
      .getByRole('textbox', { name: 'Comment' })
      .fill('emergency: the shop is down without it');
    await snap(bob, testInfo, '94-emergency-approval');
    await bob
      .getByRole('dialog')
      .getByRole('button', { name: 'Approve' })
      .click();
    await expect(bob.getByRole('dialog')).toHaveCount(0);
    await expect
      .poll(async () => (await task()).status, { timeout: 180_000 })
      .toBe('completed');
    const stack = await request.get(
      `${backendUrl}/api/provisioning/stacks/123456789012/us-east-1/${name}-prod`,
      { headers: aliceAuth },
    );
    expect(stack.status()).toBe(200);

    // Carol withdraws the freeze: it leaves the list.
    await carol.reload();
    await carol.getByRole('button', { name: `Withdraw ${why}` }).click();
    await expect(carol.getByRole('row', { name: new RegExp(why) })).toHaveCount(
      0,
    );
    await snap(carol, testInfo, '95-freeze-withdrawn');

    // The audit trail has the declaration, the emergency approval and the withdrawal.
    const audit = async (eventId: string) =>
      (
        await (
          await request.get(
            `${backendUrl}/api/audit/events?eventId=${eventId}`,
            { headers: carolAuth },
          )
        ).json()
      ).items.map((r: any) => `${r.actor} ${r.status}`);
    expect(await audit('change-window-declare')).toContain(
      'user:default/carol succeeded',
    );
    expect(await audit('change-window-withdraw')).toContain(
      'user:default/carol succeeded',
    );
    expect(await audit('approval-decide')).toContain(
      'user:default/bob succeeded',
    );
  } finally {
    // The freeze never outlives the test, whatever failed: other tests' prod runs follow the
    // usual rules.
    for (const w of await windows())
      if (w.description === why)
        await request.delete(
          `${backendUrl}/api/provisioning/change-windows/${w.id}`,
          { headers: carolAuth },
        );
  }
});
