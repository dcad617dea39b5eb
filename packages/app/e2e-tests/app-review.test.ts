import { test, expect } from '@playwright/test';
import { githubTokenOf } from '@konductor/sandbox';
import { enterAsGuest, fillService, openChange, snap } from './helpers';

const sandboxUrl = process.env.KONDUCTOR_SANDBOX_URL ?? 'http://127.0.0.1:4666';
const github = (token: string, method: string, path: string, body?: object) =>
  fetch(`${sandboxUrl}/github${path}`, {
    method,
    headers: {
      authorization: `token ${token}`,
      'content-type': 'application/json',
    },
    body: body && JSON.stringify(body),
  });

test("an app's image changed from its stack's page goes through a pull request where the GitOps branch requires reviews; once another person merged it, Argo CD's Degraded status for an image that does not pull ends the run on its page; a rollback to the first run's revision makes it healthy again", async ({
  page,
}, testInfo) => {
  // A stack with its cluster and app, then a change that waits for a review and a rollout that
  // never becomes available, on a loaded two-core machine.
  test.setTimeout(600_000);
  const name = `img${Date.now().toString(36)}`;
  await page.goto('/');
  await enterAsGuest(page);
  // A value the form was given (as a stack's Change gives it) that its field refuses is refused
  // in words, the catalog's, not in AJV's ("must NOT have fewer than 10 characters").
  await page.goto(
    `/create/templates/default/eks-app-stack?formData=${encodeURIComponent(
      JSON.stringify({ description: 'Orders' }),
    )}`,
  );
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('textbox', { name: 'Repository' }).fill(name);
  await expect(page.getByText(`acme/${name} is available`)).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByText("'Description' must be at least 10 characters").first(),
  ).toBeVisible();
  await expect(page.getByText(/must NOT have/)).toHaveCount(0);
  await snap(page, testInfo, '69-length-in-words');
  await fillService(page, name);
  await expect(page.getByRole('textbox', { name: 'App image' })).toHaveValue(
    'ghcr.io/acme/platform-starter:1',
  );
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByRole('table', { name: `Plan of ${name}` }),
  ).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  const firstRun = page.getByRole('link', { name: 'Provisioning run' });
  await expect(firstRun).toBeVisible({ timeout: 240_000 });
  const firstRunPage = (await firstRun.getAttribute('href'))!;

  // The platform now requires a review of every change to what runs, administrators included.
  const repo = '/repos/acme/deployments';
  expect(
    (
      await github(
        'sandbox-token',
        'PUT',
        '/orgs/acme/teams/platform-admins/repos/acme/deployments',
        { permission: 'push' },
      )
    ).status,
  ).toBe(204);
  const protect = await github(
    'sandbox-token',
    'PUT',
    `${repo}/branches/main/protection`,
    {
      required_status_checks: null,
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 1 },
      restrictions: null,
    },
  );
  expect(protect.status).toBe(200);
  try {
    // Change, on the stack's page: the service's own image, which its CI has not pushed yet.
    await openChange(page, `${name}-dev`);
    await page.getByRole('button', { name: 'Next' }).click();
    const image = page.getByRole('textbox', { name: 'App image' });
    await image.fill('not an image');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(
      page.getByText(/must be an image reference with its registry/).first(),
    ).toBeVisible();
    const broken = `ghcr.io/acme/${name}:0.1.0`;
    await image.fill(broken);
    await page.getByRole('button', { name: 'Next' }).click();
    const changes = page.getByRole('table', { name: `Changes to ${name}` });
    await expect(changes.getByRole('row', { name: /^app/ })).toContainText(
      `image: ghcr.io/acme/platform-starter:1 → ${broken}`,
      { timeout: 30_000 },
    );
    await snap(page, testInfo, '70-image-change-plan');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/create\/tasks\/[^/]+$/);
    const runId = `${page.url().split('/').pop()}_${name}-dev`;

    // The run page links the pull request its change waits in; the branch holds the old image.
    const log = page.getByRole('table', { name: 'Event log' });
    const pullRequest = log.getByRole('link', {
      name: /\/acme\/deployments\/pull\/\d+$/,
    });
    await expect(async () => {
      await page.goto(`/provisioning/runs/${encodeURIComponent(runId)}`);
      await expect(
        page.getByRole('group', { name: 'app waiting' }),
      ).toBeVisible({ timeout: 10_000 });
      // The log opens at its newest rows, where the wait is.
      await expect(pullRequest).toBeVisible({ timeout: 5_000 });
    }).toPass({ timeout: 120_000 });
    await expect(
      log.getByText(/pull request #\d+: waits for review and merge into main/),
    ).toBeVisible();
    await snap(page, testInfo, '71-run-waits-for-review');
    const number = Number(
      /\/pull\/(\d+)$/.exec((await pullRequest.getAttribute('href'))!)![1],
    );

    // Another person, with write access, approves and merges it on GitHub.
    const carol = await githubTokenOf(sandboxUrl, 'carol');
    expect(
      (
        await github(carol, 'POST', `${repo}/pulls/${number}/reviews`, {
          event: 'APPROVE',
        })
      ).status,
    ).toBe(200);
    expect(
      (await github(carol, 'PUT', `${repo}/pulls/${number}/merge`, {})).status,
    ).toBe(200);

    // Argo CD syncs the merge, and the rollout of an image no registry holds ends Degraded: the
    // run fails with Argo CD's words and why the pods do not start, and keeps the app for
    // inspection.
    const failure = page.getByRole('alert').filter({ hasText: 'Run failed.' });
    await expect(failure).toContainText(`Argo CD reports the app Degraded`, {
      timeout: 120_000,
    });
    await expect(failure).toContainText(
      `Back-off pulling image "ghcr.io/acme/${name}:0.1.0"`,
    );
    await expect(page.getByLabel('app retained')).toBeVisible();
    await snap(page, testInfo, '72-run-degraded');

    // Back to what the stack's first run delivered, from that run's page. The rollback is a
    // change like any other: it too waits for a review, then Argo CD syncs it and the app is
    // healthy again on the starter image.
    await page.goto(firstRunPage);
    const rollback = page.getByRole('link', {
      name: /^Roll app back to [0-9a-f]{7}$/,
    });
    const revision = (await rollback.textContent())!.slice(-7);
    await rollback.click();
    await expect(page.getByRole('textbox', { name: 'Revision' })).toHaveValue(
      new RegExp(`^${revision}`),
    );
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    let proposal = 0;
    await expect(async () => {
      const open = (await (
        await github(carol, 'GET', `${repo}/pulls?state=open`)
      ).json()) as { number: number; head: { ref: string } }[];
      proposal =
        open.find(p => p.head.ref.startsWith(`konductor/${name}-dev/`))
          ?.number ?? 0;
      expect(proposal).toBeGreaterThan(number);
    }).toPass({ timeout: 60_000 });
    expect(
      (
        await github(carol, 'POST', `${repo}/pulls/${proposal}/reviews`, {
          event: 'APPROVE',
        })
      ).status,
    ).toBe(200);
    expect(
      (await github(carol, 'PUT', `${repo}/pulls/${proposal}/merge`, {}))
        .status,
    ).toBe(200);
    await expect(
      page.getByText(/^The app now runs revision [0-9a-f]{40}, which holds/),
    ).toBeVisible({ timeout: 120_000 });
    await snap(page, testInfo, '73-rollback-done');
    const file = (await (
      await github(carol, 'GET', `${repo}/contents/stacks/${name}-dev/app.yaml`)
    ).json()) as { content: string };
    expect(Buffer.from(file.content, 'base64').toString()).toContain(
      'image: ghcr.io/acme/platform-starter:1',
    );
  } finally {
    await github('sandbox-token', 'DELETE', `${repo}/branches/main/protection`);
  }
});
