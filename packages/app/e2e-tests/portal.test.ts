import { test, expect, type Page, type TestInfo } from '@playwright/test';

/** Saves a full-page screenshot of the current step as a test artifact. */
async function snap(page: Page, testInfo: TestInfo, step: string) {
  await page.screenshot({
    path: testInfo.outputPath(`${step}.png`),
    fullPage: true,
  });
}

test('a guest signs in, sees Konductor in the catalog and runs the hello-world template', async ({
  page,
}, testInfo) => {
  await page.goto('/');
  await expect(page).toHaveTitle(/Konductor/);
  await snap(page, testInfo, '01-sign-in');
  await page.getByRole('button', { name: 'Enter' }).click();

  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await expect(nav.getByText('Konductor', { exact: true })).toBeVisible();
  // The test portal talks to its sandbox, and says so.
  await expect(nav.getByRole('status', { name: 'Sandbox mode' })).toBeVisible();

  // The catalog is the landing page and lists Konductor's own components.
  for (const name of ['Konductor app', 'Konductor backend']) {
    await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
  }
  await snap(page, testInfo, '02-catalog');

  // Create -> hello-world -> fill -> review -> create.
  await nav.getByRole('link', { name: /Create/ }).click();
  await expect(page.getByText('Hello world').first()).toBeVisible();
  await snap(page, testInfo, '03-templates');
  await page.getByRole('button', { name: 'Choose' }).first().click();

  const name = `e2e-${Date.now().toString(36)}`;
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByText(name).first()).toBeVisible();
  await snap(page, testInfo, '04-review');
  await page.getByRole('button', { name: 'Create' }).click();

  // The task page shows the output only once every step has finished.
  await expect(page.getByText(`Hello, ${name}`)).toBeVisible({
    timeout: 60_000,
  });
  await snap(page, testInfo, '05-task-done');
});
