import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { StackDelivery } from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { EntityDeliveryCard } from './EntityDeliveryCard';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'shop',
    annotations: {
      'konductor.dev/stack-ref': '123456789012/us-east-1/shop-dev',
    },
  },
  spec: { type: 'service', owner: 'group:default/team-a' },
};

const delivery = (extra: Partial<StackDelivery> = {}): StackDelivery => ({
  application: 'shop-dev',
  sync: { status: 'Synced', revision: 'abcdef1234567890' },
  health: { status: 'Healthy' },
  operation: {
    phase: 'Succeeded',
    message: 'successfully synced (all tasks run)',
    finishedAt: '2026-12-03T10:00:00Z',
  },
  history: [
    { revision: 'abcdef1234567890', deployedAt: '2026-12-03T10:00:00Z' },
    { revision: '1234567abcdef000', deployedAt: '2026-12-02T10:00:00Z' },
  ],
  resources: [],
  ...extra,
});

async function render(getStackDelivery: jest.Mock) {
  await renderInTestApp(
    <EntityProvider entity={entity}>
      <EntityDeliveryCard />
    </EntityProvider>,
    { apis: [[provisioningApiRef, { getStackDelivery } as any]] },
  );
}

describe('EntityDeliveryCard', () => {
  it("shows the stack's Application: synced at its commit, healthy, and the revisions delivered", async () => {
    const getStackDelivery = jest.fn(async () => delivery());
    await render(getStackDelivery);
    expect(
      await screen.findByText('Argo CD application shop-dev'),
    ).toBeInTheDocument();
    expect(getStackDelivery).toHaveBeenCalledWith({
      accountId: '123456789012',
      region: 'us-east-1',
      stackId: 'shop-dev',
    });
    expect(screen.getByText('Synced')).toBeInTheDocument();
    expect(screen.getByText('Healthy')).toBeInTheDocument();
    expect(screen.getByText(/^at commit/)).toHaveTextContent(
      'at commit abcdef1',
    );
    expect(
      screen.getByText(/^Last sync succeeded .*: successfully synced/),
    ).toBeInTheDocument();
    const revisions = within(
      screen.getByRole('list', { name: 'Revisions delivered' }),
    ).getAllByRole('listitem');
    expect(revisions.map(r => r.textContent?.slice(0, 7))).toEqual([
      'abcdef1',
      '1234567',
    ]);
  });

  it("says why an app is not healthy, in Argo CD's words", async () => {
    await render(
      jest.fn(async () =>
        delivery({
          health: {
            status: 'Degraded',
            message: 'Deployment "shop" exceeded its progress deadline',
          },
        }),
      ),
    );
    expect(await screen.findByText('Degraded')).toBeInTheDocument();
    expect(
      screen.getByText('Deployment "shop" exceeded its progress deadline'),
    ).toBeInTheDocument();
  });

  it('says when the app is not delivered through Argo CD', async () => {
    await render(
      jest.fn(async () => {
        throw Object.assign(new Error('NotFoundError'), {
          response: { status: 404 },
        });
      }),
    );
    expect(
      await screen.findByText(
        "This component's app is not delivered through Argo CD.",
      ),
    ).toBeInTheDocument();
  });

  it('shows an error it cannot read past', async () => {
    await render(
      jest.fn(async () => {
        throw Object.assign(new Error('You may not see stack shop-dev'), {
          response: { status: 403 },
        });
      }),
    );
    expect(
      await screen.findByText('You may not see stack shop-dev'),
    ).toBeInTheDocument();
  });
});
