import { test, expect, type Page } from '@playwright/test';
import { chooseOwner, openTemplate, signInWithGithub, snap } from './helpers';

const sandboxUrl = process.env.KONDUCTOR_SANDBOX_URL ?? 'http://127.0.0.1:4666';

/** `ms` from now as a `datetime-local` input takes it: local time, to the second. */
function localInput(ms: number): string {
  const d = new Date(Date.now() + ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(
    d.getHours(),
  )}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
const DAY = 24 * 3600_000;

/** The notifications page, reloaded until one titled `title` is there. */
async function notification(page: Page, title: string | RegExp) {
  await expect(async () => {
    await page.goto('/notifications');
    await expect(page.getByText(title).first()).toBeVisible({
      timeout: 3_000,
    });
  }).toPass({ timeout: 120_000 });
  return page.getByText(title).first();
}

test("a dev stack's expiry: the platform's default on creation, a date past the maximum refused, Extend for its owners only, the owners notified before it expires, then destroyed with nothing left", async ({
  browser,
  request,
}, testInfo) => {
  // A create, then an expiry a little ahead and its destroy run, on a loaded two-core machine.
  test.setTimeout(360_000);
  const name = `exp${Date.now().toString(36)}`;
  const alice = await signInWithGithub(browser, testInfo, 'alice');
  await openTemplate(alice, 'PostgreSQL database');
  await alice.getByRole('textbox', { name: 'Name' }).fill(name);
  await chooseOwner(alice, 'Team A');

  // The form says the platform's rule, and refuses a date past its maximum.
  const expires = alice.getByLabel('Expires');
  await expect(
    alice.getByText(
      'Empty: it expires 14 days after it is created. At most 30 days ahead.',
      { exact: false },
    ),
  ).toBeVisible();
  await expires.fill(localInput(40 * DAY));
  await alice.getByRole('button', { name: 'Next' }).click();
  await expect(alice.locator('#root_expiresAt__error')).toContainText(
    "is more than 30 days away (the platform's maximum)",
  );
  await snap(alice, testInfo, '71-expiry-refused');
  // Left empty: the platform's default.
  await expires.fill('');
  await alice.getByRole('button', { name: 'Next' }).click();
  await expect(
    alice.getByRole('table', { name: `Plan of ${name}` }),
  ).toBeVisible();
  await alice.getByRole('button', { name: 'Review' }).click();
  await alice.getByRole('button', { name: 'Create' }).click();
  await expect(alice.getByText('Endpoint:')).toBeVisible({ timeout: 90_000 });

  // The stack's page says when it expires, and offers Extend to its owners.
  const stackPage = `/catalog/default/system/${name}-dev`;
  const expiryOf = (page: Page) =>
    page
      .getByRole('region', { name: 'Desired state' })
      .getByLabel('Expiry', { exact: true });
  await expect(async () => {
    await alice.goto(stackPage);
    await expect(expiryOf(alice)).toContainText('(in 14 days)', {
      timeout: 3_000,
    });
  }).toPass({ timeout: 60_000 });
  await snap(alice, testInfo, '72-expiry-default');

  // Bob (team-b) sees the expiry, but may not move it.
  const bob = await signInWithGithub(browser, testInfo, 'bob');
  await bob.goto(stackPage);
  await expect(expiryOf(bob)).toContainText('(in 14 days)');
  await expect(
    expiryOf(bob).getByRole('button', { name: 'Extend' }),
  ).toHaveCount(0);

  // Extend past the maximum is refused by the dialog; a date 40 seconds ahead is taken.
  await expiryOf(alice).getByRole('button', { name: 'Extend' }).click();
  const dialog = alice.getByRole('dialog', { name: `Extend ${name}-dev` });
  await dialog.getByLabel('Expires').fill(localInput(31 * DAY));
  await expect(dialog).toContainText(
    "is more than 30 days away (the platform's maximum)",
  );
  await expect(dialog.getByRole('button', { name: 'Extend' })).toBeDisabled();
  await snap(alice, testInfo, '73-extend-refused');
  await dialog.getByLabel('Expires').fill(localInput(40_000));
  await dialog.getByRole('button', { name: 'Extend' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(expiryOf(alice)).toContainText(
    /\(in (1 minute|less than a minute)\)/,
  );
  await snap(alice, testInfo, '74-extended');

  // Within the hour, the owners are told once; at expiry, the platform destroys the stack and
  // says where to follow it.
  await notification(alice, `Stack ${name}-dev expires in 1 minute`);
  await snap(alice, testInfo, '75-expiry-notice');
  const destroying = await notification(
    alice,
    `Stack ${name}-dev expired and is being destroyed`,
  );
  await destroying.click();
  await expect(alice).toHaveURL(/\/provisioning\/runs\//);
  await expect(alice.getByText(`${name}-dev`).first()).toBeVisible();
  await expect(alice.getByText('succeeded').first()).toBeVisible({
    timeout: 90_000,
  });
  await snap(alice, testInfo, '76-expired-destroyed');

  // Nothing named or tagged for the stack is left in the cloud, and the catalog forgets it.
  const { resources } = await (
    await request.get(`${sandboxUrl}/__sandbox/resources`)
  ).json();
  const left = (resources as object[]).filter(r =>
    JSON.stringify(r).includes(`${name}-dev`),
  );
  expect(left).toEqual([]);
  await expect(async () => {
    await alice.goto(stackPage);
    await expect(alice.getByText(/was not found|Entity not found/)).toBeVisible(
      { timeout: 3_000 },
    );
  }).toPass({ timeout: 60_000 });
});
