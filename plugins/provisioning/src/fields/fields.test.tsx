import { useState } from 'react';
import {
  fireEvent,
  render,
  screen,
  waitFor,
  waitForElementToBeRemoved,
} from '@testing-library/react';
import type { ChangePlan } from '@konductor/plugin-provisioning-common';
import { previewStacks } from './stackPreview';
import {
  summaryLine,
  validateStackSummary,
  Violation,
} from './StackSummaryField';
import { sizeOptions, validateInstanceSize } from './InstanceSizeField';
import { validateAwsLocation } from './AwsLocationField';

const template: any = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'shop' },
  spec: {
    type: 'service',
    parameters: [],
    steps: [
      { id: 'gate', action: 'konductor:compliance:check', input: {} },
      { id: 'repo', action: 'konductor:github:repo:provision', input: {} },
      {
        id: 'stack',
        action: 'konductor:stack:provision',
        input: { name: 'x' },
      },
    ],
  },
};
const plan = {
  stack: 'shop',
  environment: 'dev',
  region: 'us-east-1',
  resources: [],
  waves: [],
  monthlyCost: 12.5,
  currency: 'USD',
};
const verdict = {
  level: 'moderate',
  environment: 'dev',
  allowed: false,
  violations: [],
};
const errors = () => {
  const messages: string[] = [];
  return { addError: (m: string) => messages.push(m), messages };
};

describe('Violation', () => {
  const violation = {
    resource: 'cluster',
    checkId: 'eks-private-endpoint',
    controls: ['SC-7'],
    fields: ['resources.cluster.publicEndpoint'],
    message: 'API endpoint reachable from the internet.',
    remediation: 'Set resources.cluster.publicEndpoint: false.',
  };

  const endpointField = {
    name: 'publicApiEndpoint',
    title: 'Public Kubernetes API endpoint',
    page: 'Stack',
  };

  it("names the form's field and page that set what the gate refuses, not its spec path", () => {
    const { container } = render(
      <Violation
        violation={violation}
        formFields={{ 'resources.cluster.publicEndpoint': endpointField }}
      />,
    );
    expect(container.textContent).toBe(
      'cluster: API endpoint reachable from the internet. Set "Public Kubernetes API endpoint" (page Stack): false. (SC-7)',
    );
  });

  it('offers to go to each field it names, on the form', () => {
    const onGoToField = jest.fn();
    render(
      <Violation
        violation={violation}
        formFields={{ 'resources.cluster.publicEndpoint': endpointField }}
        onGoToField={onGoToField}
      />,
    );
    fireEvent.click(
      screen.getByRole('button', {
        name: 'Change "Public Kubernetes API endpoint"',
      }),
    );
    expect(onGoToField).toHaveBeenCalledWith(endpointField);
  });

  it('offers one button for a field that sets several of the paths it names', () => {
    const location = { name: 'location', title: 'AWS account', page: 'Stack' };
    render(
      <Violation
        violation={{
          ...violation,
          fields: ['target.accountId', 'target.region'],
        }}
        formFields={{ 'target.accountId': location, 'target.region': location }}
        onGoToField={jest.fn()}
      />,
    );
    expect(screen.getAllByRole('button')).toHaveLength(1);
    expect(
      screen.getByRole('button', { name: 'Change "AWS account"' }),
    ).toBeInTheDocument();
  });

  it('names the spec path of what the template sets itself, and who may change it', () => {
    const { container } = render(
      <Violation violation={violation} formFields={{}} />,
    );
    expect(container.textContent).toBe(
      'cluster: API endpoint reachable from the internet. Set resources.cluster.publicEndpoint: false. (SC-7; change resources.cluster.publicEndpoint, which this template sets: ask its authors)',
    );
  });
});

describe('previewStacks', () => {
  it("dry-runs only the stack steps and reads back plan, verdict and the provider's refusals", async () => {
    const refusal =
      'resources.app.secretEnv.DATABASE_URL: "database.url" is composed by the portal';
    const dryRun = jest.fn(async () => ({
      output: {
        'stack-plan': JSON.stringify(plan),
        'stack-compliance': JSON.stringify(verdict),
        'stack-preflight': JSON.stringify([refusal]),
      },
      log: [],
      steps: [],
      directoryContents: [],
    }));
    const previews = await previewStacks({ dryRun } as any, template, {
      name: 'shop',
    });
    const [request] = (dryRun.mock.calls[0] as any[]) ?? [];
    // Nothing that creates anything (the repository step) runs in the preview.
    expect(request.template.spec.steps.map((s: any) => s.id)).toEqual([
      'stack',
    ]);
    expect(request.values).toEqual({ name: 'shop' });
    expect(previews).toEqual([
      {
        step: 'stack',
        plan,
        compliance: verdict,
        preflight: [refusal],
        formFields: {},
      },
    ]);
    expect(summaryLine(previews)).toBe(
      'shop: $12.50/month; compliance (moderate): refused; cannot be created',
    );
  });

  it('reads back the change plan of a stack that exists, and says so in the summary line', async () => {
    const changes: ChangePlan = {
      fromVersion: 2,
      resources: [
        {
          resource: 'database',
          kind: 'database',
          action: 'update',
          changes: [{ path: 'storageGb', before: 20, after: 50 }],
          interrupts: false,
          refusals: [],
          monthlyCostBefore: 12,
          monthlyCostAfter: 18,
        },
      ],
      monthlyCostBefore: 12,
      monthlyCostAfter: 18,
      refusals: [],
    };
    const dryRun = async () => ({
      output: {
        'stack-plan': JSON.stringify(plan),
        'stack-compliance': JSON.stringify({ ...verdict, allowed: true }),
        'stack-preflight': '[]',
        'stack-changes': JSON.stringify(changes),
      },
      log: [],
      steps: [],
      directoryContents: [],
    });
    const previews = await previewStacks({ dryRun } as any, template, {});
    expect(previews[0].changes).toEqual(changes);
    expect(summaryLine(previews)).toBe(
      "shop: $12.50/month; compliance (moderate): passes; changes 1 of version 2's resources",
    );
    const refused = {
      ...changes,
      refusals: ['resources.database.storageGb: RDS can only grow storage'],
    };
    const line = summaryLine([{ ...previews[0], changes: refused }]);
    expect(line).toMatch(/; change refused$/);
    const blocked = errors();
    validateStackSummary(line, blocked);
    expect(blocked.messages).toEqual([
      'Konductor cannot make this change to the existing stack (the plan says why): go back and change what it lists',
    ]);
  });

  it("reports why the stack step produced no plan, from the dry-run's log", async () => {
    const dryRun = async () => ({
      output: {},
      log: [
        { body: { message: 'InputError: aws.region: must be an AWS region' } },
      ],
      steps: [],
      directoryContents: [],
    });
    await expect(
      previewStacks({ dryRun } as any, template, {}),
    ).rejects.toThrow('InputError: aws.region: must be an AWS region');
  });

  it('plans nothing for a template without a stack', async () => {
    const dryRun = jest.fn();
    const none = { ...template, spec: { ...template.spec, steps: [] } };
    expect(await previewStacks({ dryRun } as any, none, {})).toEqual([]);
    expect(dryRun).not.toHaveBeenCalled();
  });
});

describe('client-side validation of the fields', () => {
  it('blocks the form until the stack is planned, when the gate refuses it, when the name is not available and when the provider cannot create it', () => {
    const missing = errors();
    validateStackSummary(undefined, missing);
    expect(missing.messages[0]).toContain('has not been planned yet');
    const refused = errors();
    validateStackSummary(
      'shop: $1.00/month; compliance (high): refused',
      refused,
    );
    expect(refused.messages[0]).toContain(
      'The compliance gate refuses this stack',
    );
    const passes = errors();
    validateStackSummary(
      'shop: $1.00/month; compliance (high): passes',
      passes,
    );
    expect(passes.messages).toEqual([]);
    const unavailable = errors();
    validateStackSummary(
      'shop: $1.00/month; compliance (high): passes; name: unavailable',
      unavailable,
    );
    expect(unavailable.messages[0]).toContain(
      'The stack name is not available',
    );
    const uncreatable = errors();
    validateStackSummary(
      'shop: $1.00/month; compliance (high): passes; cannot be created',
      uncreatable,
    );
    expect(uncreatable.messages).toEqual([
      'The platform cannot create this stack as it is (the plan says why): go back and change what it lists',
    ]);
  });

  it('offers the priced sizes, cheapest first, and refuses others', () => {
    const db = sizeOptions('database');
    expect(db[0]).toEqual({ size: 'db.t4g.micro', monthly: 11.68 });
    expect(db.map(o => o.monthly)).toEqual(
      [...db.map(o => o.monthly)].sort((a, b) => a - b),
    );
    const bad = errors();
    validateInstanceSize('db.x99.huge', bad, {
      uiSchema: { 'ui:options': { kind: 'database' } },
    });
    expect(bad.messages[0]).toMatch(
      /^db\.x99\.huge has no price: choose one of db\.t4g\.micro/,
    );
    const ok = errors();
    validateInstanceSize('t3.small', ok, {
      uiSchema: { 'ui:options': { kind: 'cluster' } },
    });
    expect(ok.messages).toEqual([]);
  });

  it('wants both an account and a region', () => {
    const none = errors();
    validateAwsLocation(undefined, none);
    expect(none.messages).toEqual(['Choose an AWS account']);
    const noRegion = errors();
    validateAwsLocation({ accountId: '123456789012' }, noRegion);
    expect(noRegion.messages).toEqual(['Choose a region']);
  });
});

describe('InstanceSizeField', () => {
  it('shows each option with its monthly price and reports the choice', async () => {
    const { InstanceSizeField } = await import('./InstanceSizeField');
    const onChange = jest.fn();
    render(
      <InstanceSizeField
        {...({
          formData: 'db.t4g.micro',
          onChange,
          schema: { title: 'Database size' },
          uiSchema: { 'ui:options': { kind: 'database' } },
          idSchema: { $id: 'size' },
        } as any)}
      />,
    );
    fireEvent.mouseDown(
      screen.getByRole('combobox', { name: 'Database size' }),
    );
    fireEvent.click(
      screen.getByRole('option', { name: 'db.t4g.small: $23.36/month' }),
    );
    expect(onChange).toHaveBeenCalledWith('db.t4g.small');
  });
});

describe('StackNameField', () => {
  // The test app and the field's module graph take seconds to load the first time; not a test's.
  beforeAll(async () => {
    await import('@backstage/frontend-test-utils');
    await import('./StackNameField');
  }, 60_000);

  const taken = {
    stackId: 'shop-dev',
    available: false,
    owner: 'group:default/team-a',
    reason:
      'Stack shop-dev in account 123456789012 (us-east-1) belongs to group:default/team-a, not group:default/team-b: choose another name, or ask group:default/team-a to change it',
  };
  const client = {
    stackAvailability: jest.fn(async (query: any) =>
      query.name === 'shop'
        ? taken
        : { stackId: `${query.name}-dev`, available: true },
    ),
  };
  // The catalog's names: team-b's; team-a's is not asked (the backend names it in its reasons).
  const presentation = {
    forEntity: (ref: string) => ({
      snapshot: { entityRef: ref, primaryTitle: ref },
      promise: Promise.resolve({
        entityRef: ref,
        primaryTitle: ref === 'group:default/team-b' ? 'Team B' : ref,
      }),
    }),
  };
  const apis = async () => {
    const { provisioningApiRef } = await import('../api');
    const { entityPresentationApiRef } = await import(
      '@backstage/plugin-catalog-react'
    );
    return [
      [provisioningApiRef, client as any],
      [entityPresentationApiRef, presentation as any],
    ] as const;
  };
  const props = (formData: string) =>
    ({
      formData,
      onChange: jest.fn(),
      schema: { title: 'Name' },
      uiSchema: {
        'ui:options': { accountId: '123456789012', region: 'us-east-1' },
      },
      idSchema: { $id: 'name' },
      formContext: {
        formData: { environment: 'dev', owner: 'group:default/team-b' },
      },
    } as any);

  it("says as you type whether the owner may have the name, naming another group's", async () => {
    const { renderInTestApp } = await import('@backstage/frontend-test-utils');
    const { StackNameField } = await import('./StackNameField');
    await renderInTestApp(<StackNameField {...props('shop')} />, {
      apis: await apis(),
    });
    expect(await screen.findByText(taken.reason)).toBeInTheDocument();
    expect(client.stackAvailability).toHaveBeenCalledWith({
      accountId: '123456789012',
      region: 'us-east-1',
      name: 'shop',
      environment: 'dev',
      owner: 'group:default/team-b',
    });
  });

  it("does not repeat the form's error (shown below the field) on its helper line", async () => {
    const { renderInTestApp } = await import('@backstage/frontend-test-utils');
    const { StackNameField } = await import('./StackNameField');
    await renderInTestApp(
      <StackNameField {...props('shop')} rawErrors={[taken.reason]} />,
      { apis: await apis() },
    );
    const name = screen.getByRole('textbox', { name: 'Name' });
    // Asked, answered "taken": the answer is the form's error, so the helper line says nothing.
    expect(await screen.findByText('Checking availability…')).toBeVisible();
    await waitForElementToBeRemoved(() =>
      screen.queryByText('Checking availability…'),
    );
    expect(screen.queryByText(taken.reason)).toBeNull();
    expect(name).toHaveAttribute('aria-invalid', 'true');
  });

  it('shows what the check found about a name changed since the form last validated', async () => {
    const { renderInTestApp } = await import('@backstage/frontend-test-utils');
    const { StackNameField } = await import('./StackNameField');
    // The form keeps the error about "shop" until it validates again; the name is now "cart".
    await renderInTestApp(
      <StackNameField {...props('cart')} rawErrors={[taken.reason]} />,
      { apis: await apis() },
    );
    const name = screen.getByRole('textbox', { name: 'Name' });
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(
      await screen.findByText('cart-dev is available for Team B'),
    ).toBeVisible();
    expect(name).toHaveAttribute('aria-invalid', 'false');
  });

  it('refuses a malformed name without asking, and a taken one before the form moves on', async () => {
    const { validateStackName } = await import('./StackNameField');
    const { configApiRef } = await import('@backstage/frontend-plugin-api');
    const { provisioningApiRef } = await import('../api');
    const { mockApis } = await import('@backstage/frontend-test-utils');
    const apiHolder = {
      get: (ref: { id: string }) =>
        ({
          [provisioningApiRef.id]: client,
          [configApiRef.id]: mockApis.config(),
        }[ref.id]),
    };
    const context = {
      apiHolder: apiHolder as any,
      formData: { environment: 'dev', owner: 'group:default/team-b' },
      uiSchema: props('').uiSchema,
    };
    client.stackAvailability.mockClear();
    const bad = errors();
    await validateStackName('Shop!', bad, context);
    expect(bad.messages[0]).toMatch(/must be lower-case letters/);
    expect(client.stackAvailability).not.toHaveBeenCalled();
    const refused = errors();
    await validateStackName('shop', refused, context);
    expect(refused.messages).toEqual([taken.reason]);
    const fine = errors();
    await validateStackName('cart', fine, context);
    expect(fine.messages).toEqual([]);

    // A change (the stack page's Change) applies to a stack that exists and is the owner's:
    // a name that would make a new stack is refused.
    client.stackAvailability.mockImplementationOnce(async () => ({
      stackId: 'mine-dev',
      available: true,
      owner: 'group:default/team-b',
    }));
    const change = {
      ...context,
      formData: { ...context.formData, konductorChange: true },
    };
    const own = errors();
    await validateStackName('mine', own, change);
    expect(own.messages).toEqual([]);
    const unknown = errors();
    await validateStackName('cart', unknown, change);
    expect(unknown.messages).toEqual([
      'cart-dev does not exist: a change applies to the stack it was opened for; keep its name, environment and AWS location',
    ]);
  });
});

describe('TypedConfirmationField', () => {
  it('refuses the form until the name is typed exactly', async () => {
    const { validateTypedConfirmation } = await import(
      './TypedConfirmationField'
    );
    const context = { formData: { name: 'shop', confirmation: 'x' } };
    for (const typed of [undefined, '', 'Shop', 'shop ', 'sho']) {
      const refused = errors();
      validateTypedConfirmation(typed, refused, context);
      expect(refused.messages).toEqual([
        'Type the name, shop, exactly as it is written to confirm',
      ]);
    }
    const confirmed = errors();
    validateTypedConfirmation('shop', confirmed, context);
    expect(confirmed.messages).toEqual([]);
    // Another field holds the name when the template says so.
    const other = errors();
    validateTypedConfirmation('shop', other, {
      formData: { stack: 'cart' },
      uiSchema: { 'ui:options': { nameField: 'stack' } },
    });
    expect(other.messages).toEqual([
      'Type the name, cart, exactly as it is written to confirm',
    ]);
  });
});

describe('ExpiryField', () => {
  it("refuses an expiry past the platform's maximum, in the past, or for prod; leaves a change's alone", async () => {
    const { validateExpiry } = await import('./ExpiryField');
    const { configApiRef } = await import('@backstage/frontend-plugin-api');
    const { mockApis } = await import('@backstage/frontend-test-utils');
    const config = mockApis.config({
      data: { konductor: { provisioning: { expiry: { maxDays: 7 } } } },
    });
    const apiHolder = {
      get: (ref: { id: string }) =>
        ({ [configApiRef.id]: config }[ref.id] as any),
    };
    const inDays = (n: number) =>
      new Date(Date.now() + n * 24 * 3600_000).toISOString();
    const check = (
      value: string | undefined,
      formData: Record<string, unknown>,
    ) => {
      const found = errors();
      validateExpiry(value, found, { apiHolder, formData });
      return found.messages;
    };
    expect(check(inDays(6), { environment: 'dev' })).toEqual([]);
    expect(check(undefined, { environment: 'prod' })).toEqual([]);
    expect(check(inDays(8), { environment: 'staging' })).toEqual([
      expect.stringMatching(
        /is more than 7 days away \(the platform's maximum\): choose a date before /,
      ),
    ]);
    expect(check(inDays(-1), { environment: 'dev' })).toEqual([
      expect.stringMatching(/has passed: choose a date in the future$/),
    ]);
    expect(check(inDays(1), { environment: 'prod' })).toEqual([
      'Prod stacks never expire: leave the expiry empty',
    ]);
    // A change keeps the stack's expiry, whatever the old form said.
    expect(
      check(inDays(-3), { environment: 'dev', konductorChange: true }),
    ).toEqual([]);
  });

  it("converts between the browser's local time and ISO, to the second", async () => {
    const { toLocalInput, fromLocalInput } = await import('./expiry');
    const iso = '2026-12-24T18:30:15.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    expect(toLocalInput(undefined)).toBe('');
    expect(fromLocalInput('')).toBeUndefined();
  });
});

describe('RepoNameField', () => {
  it("keeps the stack's repository in a change: not asked about, not refused for existing", async () => {
    const { validateRepoName } = await import('./RepoNameField');
    const { scaffolderApiRef } = await import(
      '@backstage/plugin-scaffolder-react'
    );
    const autocomplete = jest.fn(async () => ({
      results: [{ id: 'taken', title: 'acme/shop exists' }],
    }));
    const apiHolder = {
      get: (ref: { id: string }) =>
        ref.id === scaffolderApiRef.id ? { autocomplete } : undefined,
    };
    const repoUrl = 'github.com?owner=acme&repo=shop';
    const create = errors();
    await validateRepoName(repoUrl, create, { apiHolder: apiHolder as any });
    expect(create.messages).toEqual(['acme/shop exists']);
    autocomplete.mockClear();
    const change = errors();
    await validateRepoName(repoUrl, change, {
      apiHolder: apiHolder as any,
      formData: { konductorChange: true },
    });
    expect(change.messages).toEqual([]);
    expect(autocomplete).not.toHaveBeenCalled();
  });
});

describe('ReviewNamesField', () => {
  beforeAll(async () => {
    await import('@backstage/frontend-test-utils');
    await import('./ReviewNamesField');
  }, 60_000);

  it('reads a repository URL as owner/repo, and nothing else as one', async () => {
    const { repositoryName } = await import('./ReviewNamesField');
    expect(repositoryName('github.com?owner=acme&repo=shop')).toBe('acme/shop');
    expect(repositoryName('127.0.0.1:4666?repo=shop&owner=acme')).toBe(
      'acme/shop',
    );
    expect(repositoryName('dev.azure.com?organization=o&repo=r')).toBe('o/r');
    expect(repositoryName('github.com?owner=acme')).toBeUndefined();
    expect(repositoryName('group:default/team-a')).toBeUndefined();
    expect(repositoryName('what? nothing')).toBeUndefined();
  });

  it('names the fields it lists as the catalog presents them, the refs until it answers, and keeps the names it found', async () => {
    const { renderInTestApp } = await import('@backstage/frontend-test-utils');
    const { entityPresentationApiRef } = await import(
      '@backstage/plugin-catalog-react'
    );
    const { ReviewNamesField } = await import('./ReviewNamesField');
    const titles: Record<string, string> = {
      'group:default/team-a': 'Team A',
      'system:default/shop-network': 'Shop network',
    };
    let answer: () => void = () => undefined;
    const answered = new Promise<void>(resolve => {
      answer = resolve;
    });
    const asked: string[] = [];
    const presentation = {
      forEntity: (ref: string) => {
        asked.push(ref);
        return {
          snapshot: { entityRef: ref, primaryTitle: ref },
          promise: answered.then(() => ({
            entityRef: ref,
            primaryTitle: titles[ref],
          })),
        };
      },
    };
    const onChange = jest.fn();
    const Form = () => {
      const [repo, setRepo] = useState('shop');
      return (
        <>
          <button onClick={() => setRepo('shop-2')}>Rename</button>
          <ReviewNamesField
            {...({
              onChange,
              schema: {
                type: 'object',
                properties: {
                  owner: { title: 'Owner' },
                  repoUrl: { title: 'Repository' },
                  network: { title: 'Network' },
                  size: { title: 'Size' },
                  missing: { title: 'Not filled' },
                },
              },
              uiSchema: {},
              idSchema: { $id: 'konductorReviewNames' },
              formContext: {
                formData: {
                  name: 'shop',
                  owner: 'group:default/team-a',
                  repoUrl: `127.0.0.1:4666?owner=acme&repo=${repo}`,
                  network: 'system:default/shop-network',
                  size: 'db.t4g.micro',
                },
              },
            } as any)}
          />
        </>
      );
    };
    await renderInTestApp(<Form />, {
      apis: [[entityPresentationApiRef, presentation as any]],
    });
    expect(onChange).toHaveBeenLastCalledWith({
      owner: 'group:default/team-a',
      repoUrl: 'acme/shop',
      network: 'system:default/shop-network',
      size: 'db.t4g.micro',
    });
    answer();
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith({
        owner: 'Team A',
        repoUrl: 'acme/shop',
        network: 'Shop network',
        size: 'db.t4g.micro',
      }),
    );

    // Another repository: the names found stay, at once, and the catalog is not asked again.
    const before = onChange.mock.calls.length;
    fireEvent.click(screen.getByRole('button', { name: 'Rename' }));
    expect(onChange.mock.calls.length).toBeGreaterThan(before);
    for (const [value] of onChange.mock.calls.slice(before))
      expect(value).toEqual({
        owner: 'Team A',
        repoUrl: 'acme/shop-2',
        network: 'Shop network',
        size: 'db.t4g.micro',
      });
    expect(asked.sort()).toEqual([
      'group:default/team-a',
      'system:default/shop-network',
    ]);
  });
});
