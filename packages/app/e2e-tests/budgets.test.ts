import { expect, test } from '@playwright/test';
import {
  backendUrl,
  chooseOwner,
  openTemplate,
  runTask,
  signInWithGithub,
  snap,
  tokenOf,
} from './helpers';

test("a team's budget: set by an admin in the portal, shown and enforced on the plan page and in the action, recorded in the audit trail", async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(300_000);
  const name = `bud${Date.now().toString(36)}`;
  const carol = await signInWithGithub(browser, testInfo, 'carol');
  const carolAuth = { authorization: `Bearer ${await tokenOf(carol)}` };
  const key = { owner: 'group:default/team-b', environment: 'dev' };
  try {
    // Carol, a platform admin, gives team-b a dev budget of $1 a month. A negative one is refused
    // in the dialog with what to change, and what she typed stays.
    await carol.goto('/provisioning');
    await carol.getByRole('tab', { name: 'Budgets' }).click();
    await expect(carol.getByRole('heading', { name: 'Budgets' })).toBeVisible();
    await carol.getByRole('button', { name: 'Set a budget' }).click();
    const dialog = carol.getByRole('dialog');
    await dialog
      .getByRole('textbox', { name: 'Owner group' })
      .fill('group:default/team-b');
    await dialog
      .getByRole('textbox', { name: 'Monthly budget (USD)' })
      .fill('-5');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog.getByRole('alert')).toHaveText(
      'Invalid budget: monthlyCost: must be a number of US dollars, 0 or more',
    );
    await expect(
      dialog.getByRole('textbox', { name: 'Monthly budget (USD)' }),
    ).toHaveValue('-5');
    await dialog
      .getByRole('textbox', { name: 'Monthly budget (USD)' })
      .fill('1');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toHaveCount(0);
    const row = carol
      .getByRole('table', { name: 'Budgets' })
      .locator('tbody tr')
      .filter({ hasText: 'dev' })
      .filter({ hasText: /Team B|team-b/ });
    await expect(row).toContainText('$1.00');
    // Who set it, as the catalog names them.
    await expect(row).toContainText('Carol Chen, ');
    await snap(carol, testInfo, '71-budgets-admin');

    // Bob (team-b) sees his team's budget but may not set one.
    const bob = await signInWithGithub(browser, testInfo, 'bob');
    await bob.goto('/provisioning/budgets');
    await expect(
      bob.getByRole('table', { name: 'Budgets' }).getByText('$1.00'),
    ).toBeVisible();
    await expect(bob.getByRole('button', { name: 'Set a budget' })).toHaveCount(
      0,
    );
    const bobAuth = { authorization: `Bearer ${await tokenOf(bob)}` };
    const refused = await request.put(
      `${backendUrl}/api/provisioning/budgets`,
      {
        headers: bobAuth,
        data: { ...key, monthlyCost: 100000, stacks: null },
      },
    );
    expect(refused.status()).toBe(403);

    // Bob's database request: the plan page gives the numbers and the form goes no further.
    await openTemplate(bob, 'PostgreSQL database');
    await bob.getByRole('textbox', { name: 'Name' }).fill(name);
    await chooseOwner(bob, 'Team B');
    await bob.getByRole('button', { name: 'Next' }).click();
    const budget = bob.getByRole('alert', { name: 'Budget' });
    await expect(budget).toContainText(
      'Over the budget or quota of Team B in dev: nothing will be created',
    );
    await expect(budget).toContainText(
      /Over budget: Team B in dev has a budget of \$1\.00\/month; its stacks commit \$[\d,.]+ and this request adds \$[\d,.]+, \$[\d,.]+ over/,
    );
    await expect(budget).toContainText('Budget: $1.00/month.');
    await snap(bob, testInfo, '72-plan-over-budget');
    await bob.getByRole('button', { name: 'Review' }).click();
    await expect(bob.getByRole('button', { name: 'Create' })).toHaveCount(0);

    // The form bypassed through the scaffolder's API: the action refuses it before anything is created.
    const direct = await runTask(
      request,
      await tokenOf(bob),
      'template:default/postgres-database',
      { name, environment: 'dev', owner: key.owner },
    );
    expect(direct.status).toBe('failed');
    expect(direct.log).toContain(
      'Over budget: Team B in dev has a budget of $1.00/month',
    );
    const stack = await request.get(
      `${backendUrl}/api/provisioning/stacks/123456789012/us-east-1/${name}-dev`,
      { headers: bobAuth },
    );
    expect(stack.status()).toBe(404);

    // Carol raises it: the same plan is within the budget, and says how much is left.
    const raised = await request.put(`${backendUrl}/api/provisioning/budgets`, {
      headers: carolAuth,
      data: { ...key, monthlyCost: 100000, stacks: null },
    });
    expect(raised.status()).toBe(200);
    await bob.reload();
    await bob.getByRole('textbox', { name: 'Name' }).fill(name);
    await chooseOwner(bob, 'Team B');
    await bob.getByRole('button', { name: 'Next' }).click();
    await expect(bob.getByRole('alert', { name: 'Budget' })).toContainText(
      'Within the budget of Team B in dev',
    );
    await expect(bob.getByRole('alert', { name: 'Budget' })).toContainText(
      'Budget: $100,000.00/month.',
    );
    await snap(bob, testInfo, '73-plan-within-budget');

    // Both changes of the budget are in the audit trail, as Carol's.
    const audit = await request.get(
      `${backendUrl}/api/audit/events?eventId=budget-set&actor=user:default/carol`,
      { headers: carolAuth },
    );
    const records = (await audit.json()).items as { status: string }[];
    expect(
      records.filter(r => r.status === 'succeeded').length,
    ).toBeGreaterThanOrEqual(2);
    expect(records.some(r => r.status === 'failed')).toBe(true);
  } finally {
    await request.delete(
      `${backendUrl}/api/provisioning/budgets?owner=${encodeURIComponent(
        key.owner,
      )}&environment=dev`,
      { headers: carolAuth },
    );
  }
});
