import { test, expect, type Page } from '@playwright/test';
import { expectResourceCompliant, openTemplate, snap } from './helpers';

/** A service definition whose stack uses a resource kind that a module adds. */
interface ModuleKindCase {
  template: string;
  /** Fills the form's fields beyond the name. */
  fill(page: Page): Promise<void>;
  plan: string;
  /** The resource's name in the stack, and its kind. */
  resource: string;
  kind: string;
  resources: number;
  catalogType: string;
  checks: string[];
}

const cases: ModuleKindCase[] = [
  {
    template: 'Object storage',
    fill: page =>
      page.getByRole('spinbutton', { name: /Retention/ }).fill('30'),
    plan: 'KMS-encrypted, versioned, public access blocked, objects expire after 30 days',
    resource: 'files',
    kind: 'bucket',
    resources: 1,
    catalogType: 'aws-s3-bucket',
    checks: [
      'Bucket not public',
      'Bucket encrypted at rest',
      'Bucket versioned',
    ],
  },
  {
    template: 'Redis cache',
    fill: page => page.getByRole('spinbutton', { name: /Replicas/ }).fill('2'),
    plan: 'on cache.t4g.micro, 2 replicas with automatic failover, TLS and AUTH token, encrypted at rest, 7-day snapshots',
    resource: 'sessions',
    kind: 'cache',
    resources: 2,
    catalogType: 'aws-elasticache-redis',
    checks: [
      'Cache encrypted in transit',
      'Cache clients authenticate',
      'Cache encrypted at rest',
      'Cache snapshots kept',
    ],
  },
];

for (const c of cases)
  test(`a developer requests ${c.template.toLowerCase()}: a ${
    c.kind
  } kind a module adds, from form to run to catalog`, async ({
    page,
  }, testInfo) => {
    test.setTimeout(300_000);
    await page.goto('/');
    await page.getByRole('button', { name: 'Enter' }).click();
    await openTemplate(page, c.template);
    const name = `${c.kind}${Date.now().toString(36)}`;
    await page.getByRole('textbox', { name: 'Name' }).fill(name);
    await c.fill(page);
    await page.getByRole('button', { name: 'Next' }).click();

    // The plan, cost and verdict come from the kind's own definition and checks.
    const plan = page.getByRole('table', { name: `Plan of ${name}` });
    await expect(plan).toContainText(c.plan);
    await expect(plan).toContainText(`${c.resource} (${c.kind})`);
    await expect(
      page.getByText('Passes the compliance gate at the moderate level (dev).'),
    ).toBeVisible();
    await snap(page, testInfo, `30-${c.kind}-plan`);
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();

    const run = page.getByRole('link', { name: 'Provisioning run' });
    await expect(run).toBeVisible({ timeout: 90_000 });
    await run.click();
    await expect(
      page.getByText(`${c.resources} of ${c.resources} resources ready`),
    ).toBeVisible({ timeout: 60_000 });
    const node = page.getByRole('group', {
      name: `${c.resource} ready`,
      exact: true,
    });
    await expect(node).toContainText(`${c.resource} · ${c.kind}`);
    const entity = `${name}-dev-${c.resource}`;
    await expect(page.getByText(entity).first()).toBeVisible();
    await snap(page, testInfo, `31-${c.kind}-run`);

    // The catalog holds it as a Resource of the kind's catalog type; its compliance comes from
    // the kind's checks, with facts read from AWS itself.
    await expectResourceCompliant(page, entity, c.catalogType);
    for (const check of c.checks)
      await expect(
        page.getByText(check, { exact: true }).first(),
      ).toBeVisible();
    await snap(page, testInfo, `32-${c.kind}-compliance`);
  });
