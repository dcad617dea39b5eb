import { screen, waitFor } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { scaffolderApiRef } from '@backstage/plugin-scaffolder-react';
import type {
  ProvisioningRun,
  StackVersion,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import {
  CurrentStackActions,
  StackActions,
  useStackActions,
} from './StackActions';

const stack = (stackId: string) => ({
  accountId: '123456789012',
  region: 'us-east-1',
  stackId,
});

const run = (stackName: string, templateRef: string): ProvisioningRun => ({
  id: `task-${stackName}_${stackName}-dev`,
  taskId: `task-${stackName}`,
  stackId: `${stackName}-dev`,
  stackName,
  environment: 'dev',
  accountId: '123456789012',
  region: 'us-east-1',
  templateRef,
  status: 'succeeded',
  createdAt: '2026-12-03T10:00:00Z',
  updatedAt: '2026-12-03T10:05:00Z',
  lastSeq: 9,
});

const latest = (stackName: string): StackVersion => ({
  version: 2,
  runId: `task-${stackName}_${stackName}-dev`,
  createdAt: '2026-12-03T10:05:00Z',
  spec: {},
  changes: [],
});

/** The form a link opens: its template path and the values it fills. */
const formOf = (href: string | null) => {
  const url = new URL(href!, 'http://localhost');
  return {
    path: url.pathname,
    values: JSON.parse(url.searchParams.get('formData')!),
  };
};

// Decided per stack: the policy lets the user act on "shop-dev" and on nothing else.
const authorize = jest.fn((request: any) =>
  request.resourceRef === '123456789012/us-east-1/shop-dev' ||
  request.resourceRef === '123456789012/us-east-1/plain-dev'
    ? AuthorizeResult.ALLOW
    : AuthorizeResult.DENY,
);

async function render(stackName: string, changeParameter: boolean) {
  const runs: Record<string, ProvisioningRun> = {
    'task-shop_shop-dev': run('shop', 'template:default/postgres-database'),
    'task-plain_plain-dev': run('plain', 'template:team-a/plain-stack'),
    'task-other_other-dev': run('other', 'template:default/postgres-database'),
  };
  const scaffolder = {
    getTemplateParameterSchema: jest.fn(async () => ({
      title: 'PostgreSQL database',
      steps: [
        {
          title: 'Database',
          schema: {
            properties: {
              name: { type: 'string' },
              ...(changeParameter
                ? { konductorChange: { type: 'boolean' } }
                : {}),
            },
          },
        },
      ],
    })),
    getTask: jest.fn(async (taskId: string) => ({
      id: taskId,
      spec: {
        parameters: {
          name: stackName,
          environment: 'dev',
          instanceClass: 'db.t4g.small',
        },
      },
    })),
  };
  const Actions = () => (
    <StackActions
      links={useStackActions(stack(`${stackName}-dev`), latest(stackName))}
    />
  );
  await renderInTestApp(<Actions />, {
    apis: [
      [
        provisioningApiRef,
        {
          getRun: async (id: string) => ({ run: runs[id], resources: [] }),
        } as any,
      ],
      [scaffolderApiRef, scaffolder as any],
      mockApis.permission({ authorize }),
    ],
  });
  return scaffolder;
}

describe('useStackActions', () => {
  it("opens the stack's own template filled with the values of the run that made its version, as a change; and the destroy form filled with the stack", async () => {
    const scaffolder = await render('shop', true);
    const change = await screen.findByRole('link', { name: 'Change' });
    expect(scaffolder.getTemplateParameterSchema).toHaveBeenCalledWith(
      'template:default/postgres-database',
    );
    expect(scaffolder.getTask).toHaveBeenCalledWith('task-shop');
    expect(formOf(change.getAttribute('href'))).toEqual({
      path: '/create/templates/default/postgres-database',
      values: {
        name: 'shop',
        environment: 'dev',
        instanceClass: 'db.t4g.small',
        konductorChange: true,
      },
    });
    const destroy = screen.getByRole('link', { name: 'Destroy' });
    expect(formOf(destroy.getAttribute('href'))).toEqual({
      path: '/create/templates/default/destroy-stack',
      values: {
        name: 'shop',
        environment: 'dev',
        location: { accountId: '123456789012', region: 'us-east-1' },
      },
    });
  });

  it('offers no Change when the template cannot change a stack, and still Destroy', async () => {
    const scaffolder = await render('plain', false);
    expect(
      await screen.findByRole('link', { name: 'Destroy' }),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(scaffolder.getTemplateParameterSchema).toHaveBeenCalledWith(
        'template:team-a/plain-stack',
      ),
    );
    // The answer has arrived and offered nothing.
    await waitFor(() => expect(scaffolder.getTask).toHaveBeenCalled());
    await Promise.resolve();
    expect(screen.queryByRole('link', { name: 'Change' })).toBeNull();
  });

  it('offers neither to a user the policy denies on the stack', async () => {
    const scaffolder = await render('other', true);
    await waitFor(() =>
      expect(authorize).toHaveBeenCalledWith(
        expect.objectContaining({
          resourceRef: '123456789012/us-east-1/other-dev',
        }),
      ),
    );
    await waitFor(() =>
      expect(
        authorize.mock.calls.filter(
          ([r]) => r.resourceRef === '123456789012/us-east-1/other-dev',
        ),
      ).toHaveLength(2),
    );
    expect(screen.queryByRole('link', { name: 'Destroy' })).toBeNull();
    expect(screen.queryByRole('link', { name: 'Change' })).toBeNull();
    // What is not permitted is not even asked about.
    expect(scaffolder.getTask).not.toHaveBeenCalled();
  });

  it("offers them on a run's page for the stack's current version, and nothing for a stack without one", async () => {
    const getStackVersions = jest.fn(async (key: { stackId: string }) => ({
      items: key.stackId === 'shop-dev' ? [latest('shop')] : [],
    }));
    const api = {
      getStackVersions,
      getRun: async () => ({
        run: run('shop', 'template:default/postgres-database'),
        resources: [],
      }),
    };
    await renderInTestApp(
      <>
        <CurrentStackActions stackRef="123456789012/us-east-1/shop-dev" />
        <CurrentStackActions stackRef="123456789012/us-east-1/gone-dev" />
      </>,
      {
        apis: [
          [provisioningApiRef, api as any],
          mockApis.permission({ authorize }),
        ],
      },
    );
    // No scaffolder in this app: Destroy, and no Change.
    expect(
      await screen.findAllByRole('link', { name: 'Destroy' }),
    ).toHaveLength(1);
    expect(getStackVersions).toHaveBeenCalledWith({
      accountId: '123456789012',
      region: 'us-east-1',
      stackId: 'gone-dev',
    });
    expect(screen.queryByRole('link', { name: 'Change' })).toBeNull();
  });
});
