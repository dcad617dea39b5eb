import { expect, test, type APIRequestContext } from '@playwright/test';
import {
  backendUrl,
  chooseOwner,
  openTemplate,
  runTask,
  signInWithGithub,
  snap,
  tokenOf,
} from './helpers';

/** The test portal's sandbox (app-config.e2e.yaml). */
const sandboxUrl = 'http://127.0.0.1:4666';

/** Every cloud resource in the sandbox (AWS and Kubernetes), with its state. */
async function cloudResources(request: APIRequestContext) {
  const { resources } = await (
    await request.get(`${sandboxUrl}/__sandbox/resources`)
  ).json();
  return (resources as any[])
    .filter(r => r.service !== 'github' && r.service !== 'jira')
    .map(r => `${r.service}/${r.type}/${r.id}/${r.phase}`)
    .sort();
}

test("one team's stack is another team's to see, not to touch; an admin may act", async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(420_000);
  const name = `own${Date.now().toString(36)}`;

  // Alice (team-a) asks for a database. The form's default owner is a group she is not in: the
  // name field says so before anything is submitted; with her own team it is available.
  const alice = await signInWithGithub(browser, testInfo, 'alice');
  await openTemplate(alice, 'PostgreSQL database');
  await alice.getByRole('textbox', { name: 'Name' }).fill(name);
  await expect(
    alice.getByText(
      'You may not create stacks for Guests: choose an owner group you belong to',
    ),
  ).toBeVisible();
  await snap(alice, testInfo, '21-alice-owner-not-hers');
  await chooseOwner(alice, 'Team A');
  await expect(
    alice.getByText(`${name}-dev is available for Team A`),
  ).toBeVisible();
  await alice.getByRole('button', { name: 'Next' }).click();
  await expect(
    alice.getByRole('table', { name: `Plan of ${name}` }),
  ).toBeVisible();
  await alice.getByRole('button', { name: 'Review' }).click();
  await alice.getByRole('button', { name: 'Create' }).click();
  await expect(alice.getByText('Endpoint:')).toBeVisible({ timeout: 90_000 });
  await alice.getByRole('link', { name: 'Provisioning run' }).click();
  await expect(alice.getByText('2 of 2 resources ready')).toBeVisible();
  // Her GitHub sign-in resolved to her catalog User, from the organisation: the run is hers.
  await expect(
    alice.getByRole('link', { name: 'Alice Andersen' }).first(),
  ).toBeVisible();
  const endpoint = `${name}-dev-db.sandbox.us-east-1.rds.amazonaws.com`;
  await expect(alice.getByText(endpoint)).toBeVisible();
  const runUrl = alice.url();
  await snap(alice, testInfo, '22-alice-run');

  // Bob (team-b) sees that the stack exists and how it went, but not its outputs, and is
  // offered neither cancel nor retry.
  const bob = await signInWithGithub(browser, testInfo, 'bob');
  const before = await cloudResources(request);
  await bob.goto(runUrl);
  await expect(bob.getByText('2 of 2 resources ready')).toBeVisible();
  await expect(
    bob.getByText(/Outputs \(ids, endpoints, ARNs\) are shown to members of/),
  ).toBeVisible();
  await expect(bob.getByText(endpoint)).toHaveCount(0);
  await expect(
    bob.getByRole('button', { name: /Cancel run|Retry/ }),
  ).toHaveCount(0);
  await snap(bob, testInfo, '23-bob-sees-no-outputs');

  // Bob's request for the same name is refused by the form...
  await openTemplate(bob, 'PostgreSQL database');
  await bob.getByRole('textbox', { name: 'Name' }).fill(name);
  await chooseOwner(bob, 'Team B');
  const taken = `Stack ${name}-dev in account 123456789012 (us-east-1) belongs to Team A, not Team B: choose another name, or ask Team A to change it`;
  await expect(bob.getByText(taken)).toBeVisible();
  await bob.getByRole('button', { name: 'Next' }).click();
  await expect(bob.getByRole('button', { name: 'Review' })).toHaveCount(0);
  await expect(bob.getByRole('button', { name: 'Create' })).toHaveCount(0);
  await snap(bob, testInfo, '24-bob-name-taken');

  // ...and by the action, when the form is bypassed through the scaffolder's API.
  const bobToken = await tokenOf(bob);
  const direct = await runTask(
    request,
    bobToken,
    'template:default/postgres-database',
    { name, environment: 'dev', owner: 'group:default/team-b' },
  );
  expect(direct.status).toBe('failed');
  expect(direct.log).toContain(taken);

  // He may neither retry nor cancel her run, nor destroy her stack.
  const runId = decodeURIComponent(runUrl.split('/').pop()!);
  const retry = await request.post(
    `${backendUrl}/api/provisioning/runs/${encodeURIComponent(runId)}/retry`,
    { headers: { authorization: `Bearer ${bobToken}` } },
  );
  expect(retry.status()).toBe(403);
  expect((await retry.json()).error.message).toContain(
    `it belongs to Team A, and only its members or a platform admin may`,
  );
  await openTemplate(bob, 'Destroy a stack');
  await bob
    .getByRole('textbox', { name: 'Stack name', exact: true })
    .fill(name);
  await bob
    .getByRole('textbox', { name: /^Stack name, to confirm/ })
    .fill(name);
  await bob.getByRole('button', { name: 'Review' }).click();
  await bob.getByRole('button', { name: 'Create' }).click();
  await expect(
    bob
      .getByText(
        `You may not destroy stack ${name}-dev: it belongs to Team A, and only its members or a platform admin may`,
      )
      .first(),
  ).toBeVisible({ timeout: 60_000 });
  await snap(bob, testInfo, '25-bob-may-not-destroy');

  // Nothing in the cloud changed through any of it.
  expect(await cloudResources(request)).toEqual(before);

  // Carol, a platform admin, sees the outputs and may destroy the stack.
  const carol = await signInWithGithub(browser, testInfo, 'carol');
  await carol.goto(runUrl);
  await expect(carol.getByText(endpoint)).toBeVisible();
  await openTemplate(carol, 'Destroy a stack');
  await carol
    .getByRole('textbox', { name: 'Stack name', exact: true })
    .fill(name);
  await carol
    .getByRole('textbox', { name: /^Stack name, to confirm/ })
    .fill(name);
  await carol.getByRole('button', { name: 'Review' }).click();
  await carol.getByRole('button', { name: 'Create' }).click();
  // The task's output lists what was destroyed (exactly: its log line says it too, cut short).
  await expect(
    carol.getByText('app, cluster, database, secrets, network', {
      exact: true,
    }),
  ).toBeVisible({
    timeout: 90_000,
  });
  await snap(carol, testInfo, '26-carol-destroyed');
  expect(
    (await cloudResources(request)).filter(r => r.includes(`${name}-dev`)),
  ).toEqual([]);
});

test('guest signs in as the catalog user of that name, with its groups', async ({
  page,
}, testInfo) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'Settings' })
    .click();
  const identity = page.locator('.MuiCard-root', {
    has: page.getByText('Backstage Identity'),
  });
  for (const name of ['Guest', 'Guests', 'Platform team'])
    await expect(
      identity.getByRole('link', { name, exact: true }).first(),
    ).toBeVisible();
  await snap(page, testInfo, '27-guest-identity');
});
