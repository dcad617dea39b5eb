import fs from 'node:fs';
import { test, expect, type Page, type TestInfo } from '@playwright/test';

async function snap(page: Page, testInfo: TestInfo, step: string) {
  await page.screenshot({
    path: testInfo.outputPath(`${step}.png`),
    fullPage: true,
  });
}

test('an entity shows its compliance card and tab; the dashboard shows the posture and exports CSV', async ({
  page,
}, testInfo) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await expect(nav.getByRole('link', { name: 'Compliance' })).toBeVisible();

  // Konductor's own backend component: evaluated on schedule, or now on request.
  await page.goto('/catalog/default/component/konductor-backend');
  const card = page.getByRole('region', { name: 'Compliance' });
  await expect(
    card
      .getByLabel('Compliance score')
      .or(card.getByRole('button', { name: 'Evaluate now' })),
  ).toBeVisible({ timeout: 30_000 });
  if (await card.getByRole('button', { name: 'Evaluate now' }).isVisible())
    await card.getByRole('button', { name: 'Evaluate now' }).click();
  await expect(card.getByLabel('Compliance score')).toHaveText(/^\d+%$/);
  await expect(card.getByText(/NIST SP 800-53, FISMA moderate/)).toBeVisible();
  await card.scrollIntoViewIfNeeded();
  await snap(page, testInfo, '31-entity-card');

  // The tab: every check with its status, controls and the facts it read.
  await card
    .getByRole('link', { name: 'All checks, evidence and history' })
    .click();
  const checks = page.getByRole('table', { name: 'Compliance checks' });
  const ownership = checks.locator('tr[data-check="ownership"]');
  await expect(ownership).toContainText('Owner and lifecycle are set');
  await expect(ownership).toContainText('CM-8');
  await expect(ownership).toContainText('entity.owner = group:default/');
  await expect(ownership).toContainText('(catalog,');
  await expect(
    page.getByRole('img', { name: /^Score history: \d+(\.\d)?% on / }),
  ).toBeVisible();
  await snap(page, testInfo, '32-entity-tab');

  // The dashboard.
  await nav.getByRole('link', { name: 'Compliance' }).click();
  await expect(
    page.getByRole('heading', { name: 'Compliance', level: 1, exact: true }),
  ).toBeVisible();
  await expect(page.getByLabel('Overall score')).toHaveText(/^\d+(\.\d)?%$/);
  const heatMap = page.getByRole('table', { name: 'Controls heat map' });
  await expect(
    heatMap.getByRole('row', { name: /CM-8 System Component Inventory/ }),
  ).toBeVisible();
  await expect(
    page
      .getByRole('table', { name: 'Worst offenders' })
      .or(page.getByText('Every entity passes every applicable check.')),
  ).toBeVisible();
  await snap(page, testInfo, '33-dashboard');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  expect(csv.split('\r\n')[0]).toBe(
    'entity,kind,owner,system,environment,level,check,controls,status,message,evaluated_at',
  );
  expect(csv).toContain('component:default/konductor-backend,Component,');

  const [oscal] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export OSCAL' }).click(),
  ]);
  expect(oscal.suggestedFilename()).toBe('konductor-assessment-results.json');
  const doc = JSON.parse(fs.readFileSync((await oscal.path())!, 'utf8'));
  expect(doc['assessment-results'].metadata['oscal-version']).toMatch(/^1\./);
  expect(
    doc['assessment-results'].results[0]['local-definitions'].components,
  ).toContainEqual(
    expect.objectContaining({ title: 'component:default/konductor-backend' }),
  );
});
