import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import type { StackVersion } from '@konductor/plugin-provisioning-common';
import { scaffolderApiRef } from '@backstage/plugin-scaffolder-react';
import { provisioningApiRef } from '../api';
import { EntityStackHistoryCard } from './EntityStackHistoryCard';

const system = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'System',
  metadata: {
    name: 'shop-dev',
    annotations: {
      'konductor.dev/stack': 'shop-dev',
      'konductor.dev/aws-account': '123456789012',
      'konductor.dev/aws-region': 'us-east-1',
    },
  },
  spec: { owner: 'group:default/team-a' },
};

const version = (extra: Partial<StackVersion>): StackVersion => ({
  version: 1,
  runId: 'run-1',
  createdBy: 'user:default/alice',
  createdAt: '2026-12-03T10:00:00Z',
  spec: {
    name: 'shop',
    resources: { database: { instanceClass: 'db.t4g.micro' } },
  },
  changes: [],
  ...extra,
});

async function render(getStackVersions: jest.Mock) {
  await renderInTestApp(
    <EntityProvider entity={system}>
      <EntityStackHistoryCard />
    </EntityProvider>,
    {
      apis: [
        [
          provisioningApiRef,
          {
            getStackVersions,
            // The Change and Destroy actions read the run (StackActions.test.tsx), the drift
            // and the expiry their own (StackDriftView.test.tsx, StackExpiryView.test.tsx).
            getRun: () => new Promise(() => {}),
            getStackDrift: () => new Promise(() => {}),
            getStack: () => new Promise(() => {}),
          } as any,
        ],
        [scaffolderApiRef, {} as any],
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('EntityStackHistoryCard', () => {
  it("lists the stack's versions newest first: who, which run, and each attribute changed", async () => {
    const getStackVersions = jest.fn(async () => ({
      items: [
        version({
          version: 2,
          runId: 'run 2',
          createdBy: 'user:default/bob',
          spec: {
            name: 'shop',
            resources: { database: { instanceClass: 'db.t4g.small' } },
          },
          changes: [
            {
              path: 'resources.database.instanceClass',
              before: 'db.t4g.micro',
              after: 'db.t4g.small',
            },
            { path: 'resources.database.multiAz', after: true },
            { path: 'resources.cache', before: { kind: 'cache' } },
          ],
        }),
        version({}),
      ],
    }));
    await render(getStackVersions);
    const second = await screen.findByRole('listitem', { name: 'Version 2' });
    expect(getStackVersions).toHaveBeenCalledWith({
      accountId: '123456789012',
      region: 'us-east-1',
      stackId: 'shop-dev',
    });
    expect(screen.getByText(/^Version 2, since/)).toBeInTheDocument();
    expect(within(second).getByRole('link', { name: 'run' })).toHaveAttribute(
      'href',
      '/provisioning/runs/run%202',
    );
    expect(within(second).getByText(/bob/)).toBeInTheDocument();
    const changes = within(second)
      .getAllByRole('listitem')
      .map(li => li.textContent);
    expect(changes).toEqual([
      'database.instanceClass: db.t4g.micro → db.t4g.small',
      'database.multiAz: not set → true',
      'cache: {"kind":"cache"} → not set',
    ]);
    const first = screen.getByRole('listitem', { name: 'Version 1' });
    expect(within(first).getByText('Created the stack')).toBeInTheDocument();
    expect(screen.getByText('Spec of version 2')).toBeInTheDocument();
    expect(screen.getByText(/"db.t4g.small"/)).toBeInTheDocument();
  });

  it('says when no version is recorded yet', async () => {
    await render(jest.fn(async () => ({ items: [] })));
    expect(
      await screen.findByText(/^No version is recorded yet/),
    ).toBeInTheDocument();
  });

  it('shows why the versions cannot be read', async () => {
    await render(
      jest.fn(async () => {
        throw new Error('You may not see stack shop-dev');
      }),
    );
    expect(
      await screen.findByText('You may not see stack shop-dev'),
    ).toBeInTheDocument();
  });
});
