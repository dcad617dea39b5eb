import { test, expect } from '@playwright/test';
import {
  expectResourceCompliant,
  fillService,
  openTemplate,
  snap,
} from './helpers';

test('a web service gets a name of its own with a certificate: the domain kind, from form to run to catalog', async ({
  page,
}, testInfo) => {
  test.setTimeout(360_000);
  const name = `web${Date.now().toString(36)}`;
  const fqdn = `${name}-dev.example.com`;
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await openTemplate(page, 'Web service');
  await fillService(page, name);
  await expect(page.getByRole('combobox', { name: /AWS account/ })).toHaveText(
    /Sandbox \(123456789012\)/,
  );
  await page.getByRole('button', { name: 'Next' }).click();

  // The plan names the domain, from the kind's own definition; its checks pass the gate.
  const plan = page.getByRole('table', { name: `Plan of ${name}` });
  await expect(plan).toContainText('site (domain)');
  await expect(plan).toContainText(
    `${fqdn}, with an ACM certificate validated through DNS`,
  );
  await expect(plan).toContainText('at the name of site');
  await expect(
    page.getByText('Passes the compliance gate at the moderate level (dev).'),
  ).toBeVisible();
  await snap(page, testInfo, '50-web-plan');
  await page.getByRole('button', { name: 'Review' }).click();
  // A generated form's review names the owner and the repository as people read them, once each.
  await expect(page.getByRole('row', { name: 'Owner Guests' })).toBeVisible();
  await expect(
    page.getByRole('row', { name: `Repository acme/${name}` }),
  ).toBeVisible();
  await expect(page.getByRole('row', { name: /^Owner/ })).toHaveCount(1);
  await expect(page.getByRole('row', { name: /^Repository/ })).toHaveCount(1);
  await snap(page, testInfo, '50-web-review');
  await page.getByRole('button', { name: 'Create' }).click();

  const run = page.getByRole('link', { name: 'Provisioning run' });
  await expect(run).toBeVisible({ timeout: 150_000 });
  await run.click();
  await expect(page.getByText('4 of 4 resources ready')).toBeVisible({
    timeout: 60_000,
  });
  await expect(
    page.getByRole('group', { name: 'site ready', exact: true }),
  ).toContainText('site · domain');
  // The app is served at the domain's name, with the certificate the domain issued.
  await expect(page.getByText(`https://${fqdn}`).first()).toBeVisible();
  await expect(page.getByText(/^arn:aws:acm:us-east-1:/).first()).toBeVisible();
  await snap(page, testInfo, '51-web-run');

  // The domain in the catalog, evaluated by its checks with facts read from ACM.
  await expectResourceCompliant(page, `${name}-dev-site`, 'dns-domain');
  for (const check of [
    'Certificate issued and in date',
    'Certificate renews unattended',
    'Certificate key strong enough',
  ])
    await expect(page.getByText(check, { exact: true }).first()).toBeVisible();
  await snap(page, testInfo, '52-domain-compliance');

  // The service's docs, built by TechDocs from its new repository's docs/ and mkdocs.yml.
  await page.goto(`/catalog/default/component/${name}/docs`);
  await expect(
    page.getByText('A web service, created by Konductor', { exact: false }),
  ).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole('progressbar')).toHaveCount(0);
  await snap(page, testInfo, '53-web-docs');
  // "Documented" (SA-5) rests on that evidence: the site built, not only the annotation.
  await page.goto(`/catalog/default/component/${name}/compliance`);
  const evaluate = page.getByRole('button', { name: 'Evaluate now' });
  const documented = page.getByText('Described, and its TechDocs site builds.');
  await expect(documented.or(evaluate)).toBeVisible({ timeout: 30_000 });
  if (await evaluate.isVisible()) await evaluate.click();
  await expect(documented).toBeVisible({ timeout: 60_000 });
  await snap(page, testInfo, '54-web-documented');
});
