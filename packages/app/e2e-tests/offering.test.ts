import { test, expect } from '@playwright/test';
import { backendUrl, signInWithGithub, snap, tokenOf } from './helpers';

test("a definition's Offering tab: the plan of its defaults, its form whose Try it creates nothing, its spec", async ({
  browser,
  request,
}, testInfo) => {
  test.setTimeout(120_000);
  // Carol, a platform admin, sees every run: the check that nothing ran is hers to make.
  const page = await signInWithGithub(browser, testInfo, 'carol');
  await page.goto('/catalog/default/servicedefinition/private-network');
  await page.getByRole('link', { name: 'Offering', exact: true }).click();

  // The plan of the form left as it opens, with a sample for the name, which has no default.
  const defaults = page
    .locator('.v5-MuiCard-root')
    .filter({ hasText: 'Plan for its default values' });
  await expect(defaults).toContainText(
    'With samples for the fields that have no default: Name = "example".',
  );
  await expect(
    defaults.getByRole('table', { name: 'Plan of example' }),
  ).toContainText('VPC 10.20.0.0/16');
  await expect(defaults).toContainText(
    'Passes the compliance gate at the moderate level (dev).',
  );
  await expect(defaults).toContainText(/\$[\d,.]+\/month/);
  // Its spec, as the catalog holds it.
  await expect(page.getByLabel('Spec')).toContainText('cidr: 10.20.0.0/16');
  await snap(page, testInfo, '01-offering-defaults');

  // The form developers get, filled and tried.
  // A name the field's pattern refuses is refused in words, not as a regular expression.
  await page.getByRole('textbox', { name: 'Name' }).fill('Bad_Name');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page
      .getByText(
        "'Name' must be lower-case letters, digits and dashes, starting with a lower-case letter, 2 to 31 characters",
      )
      .first(),
  ).toBeVisible();
  await expect(page.getByText(/must match pattern/)).toHaveCount(0);
  await snap(page, testInfo, '02-offering-name-in-words');
  const name = `try${Date.now().toString(36)}`;
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('button', { name: 'Environment dev' }).click();
  await page.getByRole('option', { name: 'staging' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByRole('table', { name: `Plan of ${name}` }),
  ).toContainText('VPC 10.20.0.0/16');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Try it' }).click();
  const tried = page.getByLabel('Try it', { exact: true });
  await expect(tried).toContainText(
    'Try it planned these values: nothing was created, and no run was recorded.',
  );
  await expect(
    tried.getByRole('table', { name: `Plan of ${name}` }),
  ).toContainText('VPC 10.20.0.0/16');
  await expect(tried).toContainText('at the moderate level (staging)');
  await snap(page, testInfo, '03-offering-tried');

  // Nothing ran: no run of that stack, no scaffolder task of the template.
  const headers = { authorization: `Bearer ${await tokenOf(page)}` };
  const runs = await request.get(
    `${backendUrl}/api/provisioning/runs?text=${name}`,
    { headers },
  );
  expect(runs.status()).toBe(200);
  expect((await runs.json()).totalCount).toBe(0);
  const tasks = await request.get(`${backendUrl}/api/scaffolder/v2/tasks`, {
    headers,
  });
  expect(tasks.status()).toBe(200);
  expect(JSON.stringify(await tasks.json())).not.toContain(name);

  // A manual definition says who fulfils it, and its form still tries out: nothing is opened.
  await page.goto('/catalog/default/servicedefinition/dns-record/offering');
  await expect(
    page
      .locator('.v5-MuiCard-root')
      .filter({ hasText: 'Plan for its default values' }),
  ).toContainText(
    'This offering is fulfilled by the platform team: a request opens a ticket in Jira project OPS, and nothing is provisioned by the portal.',
  );
  await snap(page, testInfo, '04-offering-manual');
});
