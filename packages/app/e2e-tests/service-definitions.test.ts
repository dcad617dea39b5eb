import { test, expect } from '@playwright/test';
import { snap, templateCard } from './helpers';

const sandboxUrl = process.env.KONDUCTOR_SANDBOX_URL ?? 'http://127.0.0.1:4666';

test("a service definition's form uses a dependency: VPN access to a network provisioned from another definition", async ({
  page,
}, testInfo) => {
  // Two stacks provisioned, the catalog refreshed and a ticket opened: minutes on a busy machine.
  test.setTimeout(360_000);
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  const nav = page.getByRole('navigation', { name: 'sidebar nav' });

  // The network, from the private-network definition's generated template.
  await nav.getByRole('link', { name: /Create/ }).click();
  await templateCard(page, 'Private network')
    .getByRole('button', { name: 'Choose' })
    .click();
  const name = `net${Date.now().toString(36)}`;
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
  // The generated form's last page: the stack's plan, cost and compliance verdict.
  await expect(
    page.getByText('Passes the compliance gate at the moderate level (dev).'),
  ).toBeVisible();
  await expect(
    page.getByRole('table', { name: `Plan of ${name}` }),
  ).toContainText('VPC 10.20.0.0/16');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(
    page.getByRole('link', { name: 'Provisioning run' }),
  ).toBeVisible({ timeout: 90_000 });
  await snap(page, testInfo, '20-network-done');
  // The catalog learns of the network's stack when its run finishes: its System page appears.
  await expect(async () => {
    await page.goto(`/catalog/default/system/${name}-dev`);
    await expect(
      page.getByRole('heading', { name: `${name} (dev)` }),
    ).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByRole('heading', { name: 'About' })).toBeVisible();
  // Its desired state: version 1, made real by the run that created it, with its spec.
  const desired = page.getByRole('region', { name: 'Desired state' });
  await expect(
    desired.getByRole('listitem', { name: 'Version 1' }),
  ).toContainText('Created the stack');
  await desired.getByText('Spec of version 1').click();
  await expect(desired).toContainText('"cidr": "10.20.0.0/16"');
  await snap(page, testInfo, '21-network-in-catalog');

  // The VPN access definition's page links to its form.
  await page.goto('/catalog/default/servicedefinition/vpn-access');
  // Its relations: owned by the platform team, depends on the private-network definition.
  await expect(page.getByText('dependsOn', { exact: true })).toBeVisible();
  await expect(page.getByText('Private network').first()).toBeVisible();
  await snap(page, testInfo, '22-definition-page');
  // (Entity links open a new window; this test follows it in the same page.)
  const form = page.getByRole('link', { name: /Request it \(form\)/ });
  const href = (await form.getAttribute('href'))!;
  expect(href).toMatch(/\/create\/templates\/default\/vpn-access$/);
  await page.goto(href);

  // Page one: the definition's own fields.
  await expect(page.getByText('VPN access').first()).toBeVisible();
  await page.getByRole('textbox', { name: 'Team', exact: true }).click();
  await page.getByRole('option', { name: 'guests' }).click();
  await page
    .getByRole('textbox', { name: 'Why the team needs it' })
    .fill('reach the staging database');
  await page.getByRole('button', { name: 'Next' }).click();

  // Page two: the dependency, one of the stacks provisioned from private-network.
  // With one network to choose from, the picker selects it itself and locks.
  const picker = page.getByRole('textbox', { name: 'Private network' });
  await expect(async () => {
    if (!(await picker.inputValue()).includes(name)) {
      await picker.click({ timeout: 2_000 });
      await page
        .getByRole('option', { name: new RegExp(name) })
        .click({ timeout: 2_000 });
    }
    await expect(picker).toHaveValue(`system:default/${name}-dev`, {
      timeout: 1_000,
    });
  }).toPass({ timeout: 30_000 });
  await snap(page, testInfo, '23-uses-page');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  const ticket = page.getByRole('link', { name: 'Request ticket' });
  await expect(ticket).toBeVisible({ timeout: 60_000 });
  await snap(page, testInfo, '24-ticket-opened');
  const key = (await ticket.getAttribute('href'))!.split('/').pop();
  const issue = await (
    await fetch(`${sandboxUrl}/jira/rest/api/3/issue/${key}`, {
      headers: { authorization: 'Basic eDp4' },
    })
  ).json();
  expect(JSON.stringify(issue.fields.description)).toMatch(
    /Network: vpc-[0-9a-f]+ \(10\.20\.0\.0\/16\)/,
  );
});
