import fs from 'node:fs';
import path from 'node:path';
import { test, expect, type APIRequestContext } from '@playwright/test';
import {
  backendUrl,
  signInWithGithub,
  snap,
  templateCard,
  tokenOf,
} from './helpers';

const sandboxUrl = process.env.KONDUCTOR_SANDBOX_URL ?? 'http://127.0.0.1:4666';

/** The dns-record example as a team's own definition, in the file's own words. */
const dnsRecord = fs.readFileSync(
  path.resolve(
    __dirname,
    '../../../catalog/service-definitions/dns-record.yaml',
  ),
  'utf8',
);

/** A repository of the sandbox's GitHub organisation holding `files`; its files' URLs. */
async function repositoryWith(
  request: APIRequestContext,
  name: string,
  files: Record<string, string>,
) {
  const headers = { authorization: 'token sandbox-token' };
  const created = await request.post(`${sandboxUrl}/github/orgs/acme/repos`, {
    headers,
    data: { name, auto_init: true },
  });
  expect(created.status()).toBe(201);
  for (const [file, content] of Object.entries(files)) {
    const put = await request.put(
      `${sandboxUrl}/github/repos/acme/${name}/contents/${file}`,
      {
        headers,
        data: {
          message: `Add ${file}`,
          content: Buffer.from(content).toString('base64'),
        },
      },
    );
    expect(put.status()).toBe(201);
  }
  return (file: string) => `${sandboxUrl}/acme/${name}/blob/main/${file}`;
}

test('a template author publishes a definition from a repository; a typo is refused naming the field; a developer may not publish', async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(120_000);
  const id = Date.now().toString(36);
  const title = `Team DNS record ${id}`;
  const definition = dnsRecord
    .replace('name: dns-record', `name: team-dns-${id}`)
    .replace('title: DNS record', `title: ${title}`);
  const url = await repositoryWith(request, `definitions-${id}`, {
    'dns.yaml': definition,
    'typo.yaml': definition
      .replace(`name: team-dns-${id}`, `name: typo-dns-${id}`)
      .replace('projectKey:', 'projectKy:'),
  });

  // Alice is in the template authors' team.
  const alice = await signInWithGithub(browser, testInfo, 'alice');
  await alice.goto('/provisioning/definitions');
  const target = alice.getByRole('textbox', { name: 'URL of the file' });

  // A typo: the preview names the field and the one meant, and nothing is published.
  await target.fill(url('typo.yaml'));
  await alice.getByRole('button', { name: 'Preview' }).click();
  const refusal = alice.getByRole('alert', {
    name: 'Why it is not published',
  });
  await expect(refusal).toContainText('Not published');
  await expect(
    refusal.getByRole('listitem').filter({ hasText: 'projectKy' }),
  ).toContainText('unknown field projectKy (did you mean projectKey?)');
  await snap(alice, testInfo, '95-publish-typo-refused');

  // The right file: the preview lists its definition and its form, then it is published.
  await target.fill(url('dns.yaml'));
  await alice.getByRole('button', { name: 'Preview' }).click();
  const status = alice.getByRole('status', {
    name: 'What the catalog holds',
  });
  await expect(status).toContainText('The catalog would hold');
  await expect(status).toContainText(`ServiceDefinition ${title}`);
  await alice.getByRole('button', { name: 'Publish' }).click();
  await expect(status).toContainText('Published: the catalog holds');
  const published = alice.getByRole('table', { name: 'Published definitions' });
  await expect(
    published.getByRole('row', {
      name: new RegExp(`definitions-${id}/blob/main/dns.yaml`),
    }),
  ).toBeVisible();
  await expect(refusal).toHaveCount(0);
  await snap(alice, testInfo, '96-published');

  // Its form is on Create once the catalog has read the file (in the background).
  await expect(async () => {
    await alice.goto('/create');
    await expect(templateCard(alice, title)).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 60_000 });

  // Bob is not a template author: he sees what was published and by whom, and cannot publish.
  const bob = await signInWithGithub(browser, testInfo, 'bob');
  await bob.goto('/provisioning/definitions');
  await expect(
    bob.getByText('Only template authors and platform admins publish'),
  ).toBeVisible();
  await expect(bob.getByRole('button', { name: 'Publish' })).toBeDisabled();
  await expect(
    bob.getByRole('table', { name: 'Published definitions' }).getByRole('row', {
      name: new RegExp(`definitions-${id}/blob/main/dns.yaml`),
    }),
  ).toContainText(/alice/i);
  await expect(
    bob
      .getByRole('table', { name: 'Published definitions' })
      .getByRole('button', {
        name: 'Unpublish',
      }),
  ).toHaveCount(0);
  await snap(bob, testInfo, '97-publish-not-an-author');

  // Alice unpublishes it: after her confirmation, its form leaves Create.
  await alice.goto('/provisioning/definitions');
  const row = alice
    .getByRole('table', { name: 'Published definitions' })
    .getByRole('row', {
      name: new RegExp(`definitions-${id}/blob/main/dns.yaml`),
    });
  await row.getByRole('button', { name: 'Unpublish' }).click();
  const dialog = alice.getByRole('dialog', { name: 'Unpublish this file?' });
  await expect(dialog).toContainText('their forms leave Create');
  await snap(alice, testInfo, '98-unpublish-confirm');
  await dialog.getByRole('button', { name: 'Unpublish' }).click();
  await expect(row).toHaveCount(0);
  await expect(async () => {
    await alice.goto('/create');
    // Create has loaded its templates, and this one is not among them.
    await expect(templateCard(alice, 'Private network')).toBeVisible({
      timeout: 3_000,
    });
    await expect(templateCard(alice, title)).toHaveCount(0, { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
});

test("a published definition whose dependency is unpublished shows the catalog's error on its page", async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(120_000);
  const id = Date.now().toString(36);
  const base = `base-dns-${id}`;
  const uses = `uses-dns-${id}`;
  const url = await repositoryWith(request, `dependent-${id}`, {
    'base.yaml': dnsRecord
      .replace('name: dns-record', `name: ${base}`)
      .replace('title: DNS record', `title: Base ${id}`),
    'uses.yaml': dnsRecord
      .replace('name: dns-record', `name: ${uses}`)
      .replace('title: DNS record', `title: Uses ${id}`)
      .replace(
        'spec:\n',
        `spec:\n  dependsOn:\n    - servicedefinition:default/${base}\n`,
      ),
  });
  const alice = await signInWithGithub(browser, testInfo, 'alice');
  const auth = { authorization: `Bearer ${await tokenOf(alice)}` };
  const publish = (file: string) =>
    request.post(`${backendUrl}/api/catalog/konductor/publications`, {
      headers: auth,
      data: { target: url(file) },
    });
  expect((await publish('base.yaml')).status()).toBe(201);
  // The dependent is refused until the catalog holds what it depends on (read in the background).
  await expect(async () => {
    const published = await publish('uses.yaml');
    expect(published.status(), JSON.stringify(await published.json())).toBe(
      201,
    );
  }).toPass({ timeout: 30_000 });
  const page = `/catalog/default/servicedefinition/${uses}`;
  await expect(async () => {
    await alice.goto(page);
    await expect(alice.getByText(`Uses ${id}`).first()).toBeVisible({
      timeout: 3_000,
    });
  }).toPass({ timeout: 60_000 });
  await expect(alice.getByText('is not in the catalog')).toHaveCount(0);

  // Unregistering a catalog location is an admin's: the catalog's API refuses the author.
  const location = await request.get(
    `${backendUrl}/api/catalog/locations/by-entity/servicedefinition/default/${base}`,
    { headers: auth },
  );
  expect(location.status()).toBe(200);
  const unregistered = await request.delete(
    `${backendUrl}/api/catalog/locations/${(await location.json()).id}`,
    { headers: auth },
  );
  expect(unregistered.status()).toBe(403);
  // The author unpublishes the definition it depends on instead.
  const removed = await request.delete(
    `${backendUrl}/api/catalog/konductor/publications?target=${encodeURIComponent(
      url('base.yaml'),
    )}`,
    { headers: auth },
  );
  expect(removed.status()).toBe(204);

  // Within seconds, the dependent's page shows why it is refused.
  await expect(async () => {
    await alice.goto(page);
    await expect(
      alice
        .getByText(
          `spec.dependsOn: servicedefinition:default/${base} is not in the catalog`,
        )
        .first(),
    ).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  await snap(alice, testInfo, '98-dependency-unregistered');
});
