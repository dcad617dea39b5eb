import type { Page, TestInfo } from '@playwright/test';

/** The template card titled `title` on the Create page. */
export function templateCard(page: Page, title: string) {
  return page.locator('.MuiCard-root', {
    has: page.getByText(title, { exact: true }),
  });
}

/** Saves a full-page screenshot of the current step as a test artifact. */
export async function snap(page: Page, testInfo: TestInfo, step: string) {
  await page.screenshot({
    path: testInfo.outputPath(`${step}.png`),
    fullPage: true,
  });
}

/** Opens the form of the template titled `title` from the Create page (signed in already). */
export async function openTemplate(page: Page, title: string) {
  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: /Create/ })
    .click();
  await templateCard(page, title)
    .getByRole('button', { name: 'Choose' })
    .click();
}
