import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import {
  fillService,
  openChange,
  openTemplate,
  signInWithGithub,
  snap,
} from './helpers';

const sandboxUrl = process.env.KONDUCTOR_SANDBOX_URL ?? 'http://127.0.0.1:4666';

/** Signs in as guest and opens the form of the template titled `title` from the Create page. */
async function signInAndOpen(page: Page, title = 'EKS app stack') {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await openTemplate(page, title);
}

test('the EKS app stack journey: form with pickers, cost and verdict, live run, repository, catalog, compliance', async ({
  page,
  browser,
}, testInfo) => {
  // The longest journey of the suite: it waits for three real runs on a loaded two-core machine.
  test.setTimeout(600_000);
  const name = `shop${Date.now().toString(36)}`;
  await signInAndOpen(page);
  // The form's first page, once its fields are there.
  await expect(page.getByRole('textbox', { name: 'Repository' })).toBeVisible();
  await snap(page, testInfo, '40-service-page');

  // The repository name is checked as you type: rules first, then availability.
  await page.getByRole('textbox', { name: 'Repository' }).fill('bad name');
  await expect(
    page.getByText('only letters, digits, ".", "-" and "_"'),
  ).toBeVisible();
  await fillService(page, name);

  // Page two: AWS account and region from config, level, sizes with their prices.
  await expect(page.getByRole('combobox', { name: /AWS account/ })).toHaveText(
    /Sandbox \(123456789012\)/,
  );
  await expect(
    page.getByText(
      'Database backups retained long enough: at least 14 days (CP-9)',
    ),
  ).toBeVisible();
  await page.getByRole('combobox', { name: 'Database size' }).click();
  await page
    .getByRole('option', { name: 'db.t4g.small: $23.36/month' })
    .click();
  await snap(page, testInfo, '41-stack-page');
  await page.getByRole('button', { name: 'Next' }).click();

  // Page three: the plan in order, the cost and the gate's verdict, from a dry-run.
  const plan = page.getByRole('table', { name: `Plan of ${name}` });
  await expect(plan.getByRole('row')).toHaveCount(5);
  await expect(plan.getByRole('row').nth(1)).toContainText('network');
  await expect(
    page.getByText('Passes the compliance gate at the moderate level (dev).'),
  ).toBeVisible();
  await snap(page, testInfo, '42-plan-and-cost');
  await page.getByRole('button', { name: 'Review' }).click();
  // The review step repeats the cost and verdict.
  await expect(page.getByText(/compliance \(moderate\): passes/)).toBeVisible();
  // It names the owner and the repository as people read them, once each, not as refs and URLs.
  await expect(page.getByRole('row', { name: 'Owner Guests' })).toBeVisible();
  await expect(
    page.getByRole('row', { name: `Repository acme/${name}` }),
  ).toBeVisible();
  await expect(page.getByText('group:default/guests')).toHaveCount(0);
  await expect(page.getByText(/\?owner=acme&repo=/)).toHaveCount(0);
  await snap(page, testInfo, '43-review');
  // Real EKS takes minutes to create a cluster; the sandbox seconds. A hold rule keeps this
  // stack's cluster CREATING until the run page has been seen in progress, however long a
  // loaded machine takes to open it.
  const hold = await fetch(`${sandboxUrl}/__sandbox/faults`, {
    method: 'POST',
    body: JSON.stringify({
      service: 'eks',
      operation: 'CreateCluster',
      kind: 'hold',
      count: 1,
    }),
  });
  expect(hold.status).toBe(201);
  const [holdId] = (await hold.json()).ids;
  await page.getByRole('button', { name: 'Create' }).click();

  // While the task runs, its stack's run page (the run id is the task's and the stack's)
  // shows the graph progressing live, without a reload, to success. It opens in the same tab:
  // a second tab beside the scaffolder's task page, which re-renders its log on every event,
  // waited for that page's renderer on a two-core machine until the task had ended.
  await page.waitForURL(/\/create\/tasks\/[^/]+$/);
  const taskUrl = page.url();
  const runId = `${taskUrl.split('/').pop()}_${name}-dev`;
  await expect(async () => {
    // Until the run is registered its page says so; each attempt gives the page time to load.
    await page.goto(`/provisioning/runs/${encodeURIComponent(runId)}`);
    await expect(page.getByLabel('Resource graph')).toBeVisible({
      timeout: 10_000,
    });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByText(/^[0-3] of 4 resources ready$/)).toBeVisible();
  await expect(page.getByLabel(/^cluster (creating|waiting)$/)).toBeVisible();
  await snap(page, testInfo, '44-run-in-progress');
  const release = await fetch(`${sandboxUrl}/__sandbox/faults/${holdId}`, {
    method: 'DELETE',
  });
  expect(release.status).toBe(204);
  await expect(page.getByText('4 of 4 resources ready')).toBeVisible({
    timeout: 120_000,
  });
  await expect(page.getByLabel('app ready')).toBeVisible();
  await expect(page.getByText('Succeeded').first()).toBeVisible();
  // The app went through git: its revision is a commit of the GitOps repository, which the run
  // followed through the platform's Argo CD to synced and healthy before calling the app ready.
  // (Whether the run showed a waiting message first depends on how fast Argo CD syncs.)
  const delivered = (
    await page
      .locator('dt', { hasText: /^app\.revision$/ })
      .locator('xpath=following-sibling::dd[1]')
      .textContent()
  )?.trim();
  expect(delivered).toMatch(/^[0-9a-f]{40}$/);
  const commit = await fetch(
    `${sandboxUrl}/github/repos/acme/deployments/commits/${delivered}/status`,
    { headers: { authorization: 'token sandbox-token' } },
  );
  expect(commit.status).toBe(200);
  expect((await commit.json()).sha).toBe(delivered);
  await snap(page, testInfo, '45-run-page');
  // The GitOps repository holds the rendered app, and in it where its secrets live.
  const rendered = await fetch(
    `${sandboxUrl}/github/repos/acme/deployments/contents/stacks/${name}-dev/app.yaml`,
    { headers: { authorization: 'token sandbox-token' } },
  );
  expect(rendered.status).toBe(200);
  const manifests = Buffer.from(
    (await rendered.json()).content,
    'base64',
  ).toString('utf8');
  expect(manifests).toContain('kind: SecretProviderClass');
  expect(manifests).toContain('objectName: DB_PASSWORD');
  await page.goto(taskUrl);

  // The task: the gate, the repository, the stack, the catalog.
  const runLink = page.getByRole('link', { name: 'Provisioning run' });
  await expect(runLink).toBeVisible({ timeout: 120_000 });
  expect(await runLink.getAttribute('href')).toContain(
    encodeURIComponent(runId),
  );
  await snap(page, testInfo, '46-task-done');
  const repoHref = await page
    .getByRole('link', { name: 'Repository' })
    .getAttribute('href');
  expect(repoHref).toContain(`/acme/${name}`);

  // The repository is clonable from the sandbox (private: with a token) and holds the rendered
  // service.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-clone-'));
  execFileSync('git', [
    'clone',
    '-q',
    `${sandboxUrl.replace('://', '://x-access-token:t@')}/git/acme/${name}.git`,
    dir,
  ]);
  expect(
    fs.readFileSync(path.join(dir, 'catalog-info.yaml'), 'utf8'),
  ).toContain(`name: ${name}`);
  expect(fs.existsSync(path.join(dir, 'src', 'server.js'))).toBe(true);

  // The Component in the catalog, depending on the stack's Resources (the catalog learns of
  // the Component from its repository and of the Resources from the finished run).
  const dependency = (resource: string) =>
    page.getByRole('row', { name: new RegExp(`^${name}-dev ${resource}`) });
  await expect(async () => {
    await page.goto(`/catalog/default/component/${name}`);
    await expect(dependency('database')).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 90_000 });
  await expect(dependency('database')).toContainText('aws-rds-postgres');
  await expect(dependency('app')).toBeVisible();
  // Its compliance card: evaluated at the stack's level and environment, the repository's
  // settings read from the sandbox's GitHub (the host it was registered from).
  await expect(async () => {
    await page.reload();
    await expect(
      page.getByText('NIST SP 800-53, FISMA moderate, dev'),
    ).toBeVisible({ timeout: 5_000 });
    await expect(page.getByText(/\d+ passed, 0 failed$/)).toBeVisible();
  }).toPass({ timeout: 90_000 });
  await snap(page, testInfo, '47-component');

  // Its Kubernetes tab: Backstage's Kubernetes plugin finds the stack's cluster through the
  // component's dependsOn (a kubernetes-cluster Resource discovered from EKS). The cluster's
  // endpoint is private and the sandbox drops the portal's calls to it, so the tab is read
  // through the platform's Argo CD: the app's Deployment, its running pods, their log.
  await expect(async () => {
    await page.goto(`/catalog/default/component/${name}/kubernetes`);
    await expect(page.getByText('2 pods')).toBeVisible({ timeout: 10_000 });
  }).toPass({ timeout: 90_000 });
  await expect(page.getByText(`${name}-dev`, { exact: true })).toBeVisible();
  await expect(page.getByText('No pods with errors')).toBeVisible();
  await page.getByText('2 pods').click();
  // The Deployment, with its Ingress and Service; its drawer shows what the API server keeps.
  await page.getByText('Deployment', { exact: true }).click();
  const drawer = page.getByRole('presentation').filter({
    has: page.getByRole('button', { name: 'Close the drawer' }),
  });
  await expect(
    drawer.getByRole('cell', { name: 'Available', exact: true }),
  ).toBeVisible();
  await snap(page, testInfo, '48-kubernetes-deployment');
  await drawer.getByRole('button', { name: 'Close the drawer' }).click();
  await expect(drawer).toBeHidden();
  for (const kind of ['Ingress', 'Service'])
    await expect(page.getByText(kind, { exact: true })).toBeVisible();
  // Its pods, through their ReplicaSet: running.
  await page.getByText('2 pods').nth(1).click();
  const pods = page.getByRole('row', {
    name: new RegExp(`^${name}-\\w+-\\w+ `),
  });
  await expect(pods).toHaveCount(2);
  await expect(pods.first()).toContainText('Running');
  await snap(page, testInfo, '48-kubernetes');
  // A pod's log, through Backstage's Kubernetes proxy, which asks Argo CD for it (the guest is a
  // platform admin: the proxy is theirs alone).
  await pods.first().getByRole('cell').first().click();
  // Its drawer: its container's health, as the kubelet reports it.
  await expect(page.getByText('Status: Running')).toBeVisible();
  await expect(page.getByRole('row', { name: 'Ready ✅' })).toBeVisible();
  await snap(page, testInfo, '49-kubernetes-pod');
  await page.getByRole('button', { name: /logs/i }).first().click();
  await expect(
    page.getByText(
      /\[sandbox\] container \S+ started from ghcr\.io\/acme\/platform-starter:1/,
    ),
  ).toBeVisible();
  await snap(page, testInfo, '49-kubernetes-pod-log');

  // Bob (team-b, no admin) sees the same workloads; the proxy that reads logs is not his.
  const bob = await signInWithGithub(browser, testInfo, 'bob');
  await bob.goto(`/catalog/default/component/${name}/kubernetes`);
  await expect(bob.getByText('2 pods')).toBeVisible({ timeout: 30_000 });
  await bob.getByText('2 pods').click();
  await bob.getByText('2 pods').nth(1).click();
  await bob
    .getByRole('row', { name: new RegExp(`^${name}-\\w+-\\w+ `) })
    .first()
    .getByRole('cell')
    .first()
    .click();
  await bob.getByRole('button', { name: /logs/i }).first().click();
  await expect(
    bob.getByText(/^Proxy request failed with 403 Forbidden/),
  ).toBeVisible();
  await expect(bob.getByText(/\[sandbox\] container/)).toHaveCount(0);
  await snap(bob, testInfo, '49-kubernetes-log-refused');
  await bob.context().close();

  // Day 2: the run page offers to roll the app back to the revision that run delivered, through
  // the "Roll back an app" template, its form filled in. Its task commits what git held at that
  // revision (nothing, when it is what runs) and follows Argo CD until the app is healthy.
  await page.goto(`/provisioning/runs/${encodeURIComponent(runId)}`);
  const rollback = page.getByRole('link', {
    name: /^Roll app back to [0-9a-f]{7}$/,
  });
  await expect(rollback).toBeVisible();
  const revision = (await rollback.textContent())!.slice(-7);
  await rollback.click();
  await expect(page.getByRole('textbox', { name: 'Stack name' })).toHaveValue(
    name,
  );
  await expect(page.getByRole('textbox', { name: 'Revision' })).toHaveValue(
    new RegExp(`^${revision}[0-9a-f]{33}$`),
  );
  await snap(page, testInfo, '50-rollback-form');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(
    page.getByText(new RegExp(`^The app now runs revision ${revision}`)),
  ).toBeVisible({ timeout: 90_000 });
  await snap(page, testInfo, '51-rollback-done');

  // The component's page shows its delivery as Argo CD reports it: synced at that revision and
  // healthy, with the revisions delivered.
  await page.goto(`/catalog/default/component/${name}`);
  const delivery = page.getByRole('region', { name: 'Delivery' });
  await expect(
    delivery.getByText(`Argo CD application ${name}-dev`),
  ).toBeVisible();
  await expect(delivery.getByText('Synced', { exact: true })).toBeVisible();
  await expect(delivery.getByText('Healthy', { exact: true })).toBeVisible();
  await expect(delivery.getByText(`at commit ${revision}`)).toBeVisible();
  await expect(
    delivery
      .getByRole('list', { name: 'Revisions delivered' })
      .getByText(revision)
      .first(),
  ).toBeVisible();
  await snap(page, testInfo, '52-delivery');
  // Its Provisioning tab lists its stack's runs: the one that created it, and the rollback's
  // task does not add one.
  await page.goto(`/catalog/default/component/${name}/provisioning`);
  await expect(
    page
      .getByRole('table', { name: 'Provisioning runs' })
      .getByRole('link', { name: `${name}-dev`, exact: true }),
  ).toHaveCount(1);
  await snap(page, testInfo, '53-component-runs');

  // Day 2 from the stack's page: Change opens this form again with the stack's values, the
  // name and repository kept; more nodes of another size is an update of the cluster in place
  // (a new node group of that size, then the old one drained and deleted).
  await openChange(page, `${name}-dev`);
  await expect(page.getByRole('textbox', { name: 'Name' })).toBeDisabled();
  await expect(
    page.getByRole('textbox', { name: 'Repository' }),
  ).toBeDisabled();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByRole('combobox', { name: 'Database size' }),
  ).toContainText('db.t4g.small');
  await page.getByRole('spinbutton', { name: 'Most cluster nodes' }).fill('5');
  await page.getByRole('combobox', { name: 'Cluster node size' }).click();
  await page.getByRole('option', { name: /^t3\.large: / }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  const changes = page.getByRole('table', { name: `Changes to ${name}` });
  await expect(changes.getByRole('row', { name: /^cluster/ })).toContainText(
    'maxNodes: 3 → 5',
    { timeout: 30_000 },
  );
  await expect(changes.getByRole('row', { name: /^cluster/ })).toContainText(
    'nodeInstanceType: t3.medium → t3.large',
  );
  await expect(changes.getByRole('row', { name: /^cluster/ })).toContainText(
    'update in place',
  );
  await expect(changes.getByRole('row', { name: /^database/ })).toContainText(
    'no change',
  );
  await snap(page, testInfo, '54-change-cluster-plan');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(
    page.getByRole('link', { name: 'Provisioning run' }),
  ).toBeVisible({ timeout: 150_000 });
  // Neither a repository nor a catalog registration: both exist and were kept (skipped steps).
  await expect(page.getByRole('link', { name: 'Repository' })).toHaveCount(0);
  await expect(
    page.getByText('The repository is kept as it is.'),
  ).toBeVisible();
  await snap(page, testInfo, '55-change-cluster-done');
  await expect(async () => {
    await page.goto(`/catalog/default/system/${name}-dev`);
    await expect(
      page
        .getByRole('region', { name: 'Desired state' })
        .getByRole('listitem', { name: 'Version 2' }),
    ).toContainText('cluster.maxNodes: 3 → 5', { timeout: 5_000 });
  }).toPass({ timeout: 60_000 });
  await expect(
    page
      .getByRole('region', { name: 'Desired state' })
      .getByRole('listitem', { name: 'Version 2' }),
  ).toContainText('cluster.nodeInstanceType: t3.medium → t3.large');
  await snap(page, testInfo, '56-change-cluster-version');
});

test('a non-compliant choice is refused before anything is created, with the reasons', async ({
  page,
}, testInfo) => {
  const name = `risky${Date.now().toString(36)}`;
  await signInAndOpen(page);
  await fillService(page, name);
  await page.getByRole('button', { name: 'Environment dev' }).click();
  await page.getByRole('option', { name: 'prod' }).click();
  await page
    .getByRole('checkbox', { name: 'Public Kubernetes API endpoint' })
    .check();
  await page.getByRole('button', { name: 'Next' }).click();

  await expect(
    page.getByText(
      'Refused by the compliance gate at the moderate level (prod): nothing will be created',
    ),
  ).toBeVisible();
  // It names the form's field and its page, not the stack spec's path.
  await expect(
    page.getByText(
      'Set "Public Kubernetes API endpoint" (page Stack): false. (SC-7)',
    ),
  ).toBeVisible();
  await snap(page, testInfo, '48-refused');
  // The form does not go on to review.
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(
    page.getByText(
      'The compliance gate refuses this stack: go back and change the fields it lists',
      { exact: true },
    ),
  ).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create' })).toHaveCount(0);
  // Nothing was created: no repository.
  const res = await fetch(`${sandboxUrl}/github/repos/acme/${name}`, {
    headers: { authorization: 'token sandbox' },
  });
  expect(res.status).toBe(404);

  // The refusal takes the developer to the field: its page opens, with the field focused.
  await page
    .getByRole('button', { name: 'Change "Public Kubernetes API endpoint"' })
    .click();
  const endpoint = page.getByRole('checkbox', {
    name: 'Public Kubernetes API endpoint',
  });
  await expect(endpoint).toBeFocused();
  await snap(page, testInfo, '48-refused-field-focused');
  // Changed there, the plan passes the gate.
  await endpoint.uncheck();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByText('Passes the compliance gate at the moderate level (prod).'),
  ).toBeVisible();
});

test('a manual request opens a Jira ticket; its task ends while the ticket is open, holding no worker, and goes on once the ticket is done', async ({
  page,
}, testInfo) => {
  const host = `shop-${Date.now().toString(36)}.internal.acme.example`;
  await signInAndOpen(page, 'DNS record');
  await page.getByRole('textbox', { name: 'Host name' }).fill(host);
  await page.getByRole('textbox', { name: 'Points to' }).fill('10.40.1.20');
  await page
    .getByRole('textbox', { name: 'Why it is needed' })
    .fill('the shop moves to its own host name');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  // The task opens the ticket and ends, saying it waits: no worker is held while people work.
  // (The scaffolder opens the logs of a task that ended in error by itself; once it has, there is
  // no "Show logs" to click, so the test does not race it.)
  const waiting = page
    .getByText(
      /Waiting for OPS-\d+ to be done \(status: To Do\): the task ends here, holding no worker/,
    )
    .first();
  await expect(waiting).toBeVisible({ timeout: 60_000 });
  await snap(page, testInfo, '49-request-waiting');
  const key = (await waiting.textContent())!.match(/OPS-\d+/)![0];
  const jira = `${sandboxUrl}/jira/rest/api/3/issue/${key}`;
  const auth = {
    authorization: 'Basic eDp4',
    'content-type': 'application/json',
  };
  const issue = await (await fetch(jira, { headers: auth })).json();
  expect(issue.fields.summary).toBe(`DNS record ${host}`);
  await expect(page.getByRole('link', { name: 'Request ticket' })).toHaveCount(
    0,
  );

  // The network team does the work and closes the ticket: the sweep resumes the task from its
  // checkpoint (the same ticket), and it finishes.
  const done = await fetch(`${jira}/transitions`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ transition: { id: '31' } }),
  });
  expect(done.status).toBe(204);
  const ticket = page.getByRole('link', { name: 'Request ticket' });
  await expect(async () => {
    await page.reload();
    await expect(ticket).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  await expect(ticket).toHaveAttribute('href', new RegExp(`/browse/${key}$`));
  const logs = page.getByRole('button', { name: 'Show logs' });
  if (await logs.isVisible()) await logs.click();
  await expect(page.getByText(`${key} is now Done`)).toBeVisible();
  await snap(page, testInfo, '50-request-done');
});
