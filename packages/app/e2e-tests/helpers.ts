import {
  expect,
  type APIRequestContext,
  type Browser,
  type Locator,
  type Page,
  type TestInfo,
} from '@playwright/test';
import { RDSClient } from '@aws-sdk/client-rds';

/** The test portal's backend (app-config.e2e.yaml). */
export const backendUrl = 'http://localhost:7107';

/**
 * The test portal's RDS in the sandbox, through AWS's own client with the account's keys
 * (app-config.sandbox.yaml's): what someone changing a database outside Konductor would use.
 */
export const sandboxRds = () =>
  new RDSClient({
    endpoint: process.env.KONDUCTOR_SANDBOX_URL ?? 'http://127.0.0.1:4666',
    region: 'us-east-1',
    credentials: {
      accessKeyId: 'AKIA123456789012',
      secretAccessKey: 'sandbox-not-a-secret',
    },
    maxAttempts: 1,
  });

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

/** The words of `element`'s text that the layout breaks across two lines (none, as a person reads it). */
export function brokenWords(element: Locator): Promise<string[]> {
  return element.evaluate(root => {
    const broken: string[] = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      for (const word of text.matchAll(/[^\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index!);
        range.setEnd(node, word.index! + word[0].length);
        if (range.getClientRects().length > 1) broken.push(word[0]);
      }
    }
    return broken;
  });
}

/**
 * Enters the portal as the guest from its sign-in page, and waits until the app is signed in (its
 * sidebar's links show): an address opened earlier lands on the sign-in page again.
 */
export async function enterAsGuest(page: Page) {
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(
    page
      .getByRole('navigation', { name: 'sidebar nav' })
      .getByRole('link', { name: /Create/ }),
  ).toBeVisible();
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

/** Page one of a service's form: its name, description and repository (checked as available). */
export async function fillService(page: Page, name: string) {
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page
    .getByRole('textbox', { name: 'Description' })
    .fill('Takes orders for the shop.');
  await page.getByRole('textbox', { name: 'Repository' }).fill(name);
  await expect(page.getByText(`acme/${name} is available`)).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
}

/**
 * Opens a stack's System page (once the catalog has it, with the stack's desired state) and
 * presses **Change**: its form, filled with the stack's values.
 */
export async function openChange(page: Page, system: string) {
  const change = page
    .getByRole('region', { name: 'Desired state' })
    .getByRole('link', { name: 'Change' });
  await expect(async () => {
    await page.goto(`/catalog/default/system/${system}`);
    await expect(change).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 60_000 });
  await change.click();
}

/**
 * Opens a provisioned resource's catalog page (once the catalog has it, as a Resource of
 * `catalogType`), sees its compliance card pass (evaluated when the catalog announced it, or now
 * on request) and opens its compliance tab.
 */
export async function expectResourceCompliant(
  page: Page,
  entity: string,
  catalogType: string,
) {
  await expect(async () => {
    await page.goto(`/catalog/default/resource/${entity}`);
    await expect(page.getByText(catalogType).first()).toBeVisible({
      timeout: 3_000,
    });
  }).toPass({ timeout: 60_000 });
  const card = page.getByRole('region', { name: 'Compliance' });
  const evaluate = card.getByRole('button', { name: 'Evaluate now' });
  await expect(card.getByLabel('Compliance score').or(evaluate)).toBeVisible({
    timeout: 30_000,
  });
  if (await evaluate.isVisible()) await evaluate.click();
  await expect(card.getByText(/\d+ passed, 0 failed/)).toBeVisible({
    timeout: 30_000,
  });
  await page.goto(`/catalog/default/resource/${entity}/compliance`);
}

/**
 * Signs in as `login` through the sandbox's GitHub (its OAuth web flow, in a popup, as with
 * github.com), in a browser context of its own: each person is a separate session.
 */
export async function signInWithGithub(
  browser: Browser,
  testInfo: TestInfo,
  login: string,
): Promise<Page> {
  const context = await browser.newContext({
    baseURL: testInfo.project.use.baseURL,
  });
  const page = await context.newPage();
  await page.goto('/');
  const popup = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const github = await popup;
  await github
    .getByRole('link', { name: new RegExp(`\\(${login}\\)`) })
    .click();
  // Signed in once the sidebar's links are there.
  await expect(
    page
      .getByRole('navigation', { name: 'sidebar nav' })
      .getByRole('link', { name: /Create/ }),
  ).toBeVisible();
  return page;
}

/** Picks the group titled `title` in the form's owner picker (the catalog's groups). */
export async function chooseOwner(page: Page, title: string) {
  const owner = page.getByRole('textbox', { name: 'Owner' });
  await owner.click();
  await owner.fill(title);
  await page.getByRole('option', { name: title, exact: true }).click();
}

/** The signed-in person's Backstage token, as the app holds it (from the GitHub session). */
export async function tokenOf(page: Page): Promise<string> {
  return page.evaluate(async backend => {
    const res = await fetch(
      `${backend}/api/auth/github/refresh?env=development`,
      {
        credentials: 'include',
        headers: { 'x-requested-with': 'XMLHttpRequest' },
      },
    );
    return (await res.json()).backstageIdentity.token as string;
  }, backendUrl);
}

/** Runs a template through the scaffolder's API as the holder of `token`; resolves to its end. */
export async function runTask(
  request: APIRequestContext,
  token: string,
  templateRef: string,
  values: object,
) {
  const headers = { authorization: `Bearer ${token}` };
  const created = await request.post(`${backendUrl}/api/scaffolder/v2/tasks`, {
    headers,
    data: { templateRef, values },
  });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  let task: any;
  await expect
    .poll(
      async () => {
        task = await (
          await request.get(`${backendUrl}/api/scaffolder/v2/tasks/${id}`, {
            headers,
          })
        ).json();
        return task.status;
      },
      { timeout: 60_000 },
    )
    .toMatch(/completed|failed|cancelled/);
  const events = await (
    await request.get(`${backendUrl}/api/scaffolder/v2/tasks/${id}/events`, {
      headers,
    })
  ).json();
  return {
    status: task.status as string,
    log: (events as any[]).map(e => e.body?.message ?? '').join('\n'),
  };
}
