import { fireEvent, screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import type { StackDrift } from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { StackDriftView } from './StackDriftView';

const stack = {
  accountId: '123456789012',
  region: 'us-east-1',
  stackId: 'shop-dev',
};

const scanned: StackDrift = {
  version: 2,
  scannedAt: '2026-12-03T11:00:00Z',
  resources: [
    { resource: 'network', kind: 'network', state: 'in-sync', attributes: [] },
    {
      resource: 'database',
      kind: 'database',
      state: 'drifted',
      attributes: [
        {
          field: 'instanceClass',
          desired: 'db.t4g.small',
          actual: 'db.t4g.medium',
          firstSeenAt: '2026-12-03T10:00:00Z',
        },
      ],
    },
    {
      resource: 'cluster',
      kind: 'cluster',
      state: 'missing',
      attributes: [],
      detail: 'EKS cluster shop-dev is gone',
    },
    {
      resource: 'secrets',
      kind: 'secrets',
      state: 'unchecked',
      attributes: [],
      detail: 'Konductor does not read back a secrets resource yet',
    },
  ],
};

async function render(api: object, revert?: string) {
  await renderInTestApp(<StackDriftView stack={stack} revert={revert} />, {
    apis: [[provisioningApiRef, api as any]],
  });
}

describe('StackDriftView', () => {
  it('shows each drifted attribute and each resource gone, what is not read back, and Revert', async () => {
    await render(
      { getStackDrift: jest.fn(async () => scanned) },
      '/create/templates/default/postgres-database?formData=%7B%7D',
    );
    const table = await screen.findByRole('table', {
      name: 'Drifted attributes',
    });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map(r =>
        within(r)
          .getAllByRole('cell')
          .map(c => c.textContent),
      );
    expect(rows).toEqual([
      [
        'database',
        'instanceClass',
        'db.t4g.small',
        'db.t4g.medium',
        new Date('2026-12-03T10:00:00Z').toLocaleString(),
      ],
      ['cluster', 'EKS cluster shop-dev is gone'],
    ]);
    expect(
      screen.getByText(/2 of 4 resources differ from version 2/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /Not read back: secrets \(Konductor does not read back a secrets resource yet\)/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Revert' })).toHaveAttribute(
      'href',
      '/create/templates/default/postgres-database?formData=%7B%7D',
    );
  });

  it('says when the stack is in sync, and offers no Revert', async () => {
    await render({
      getStackDrift: async () => ({
        ...scanned,
        resources: [scanned.resources[0]],
      }),
    });
    expect(
      await screen.findByText(/In sync: every attribute Konductor reads back/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Revert' })).toBeNull();
  });

  it('asks for a scan and follows it until it reports', async () => {
    const requested = {
      resources: [],
      scanRequestedAt: '2026-12-03T12:00:00Z',
    };
    const getStackDrift = jest
      .fn()
      .mockResolvedValueOnce({ resources: [] })
      .mockResolvedValueOnce(requested)
      .mockResolvedValue({ ...scanned, resources: [scanned.resources[0]] });
    const requestDriftScan = jest.fn(async () => requested);
    await render({ getStackDrift, requestDriftScan });
    expect(await screen.findByText(/^Not checked yet/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Check now' }));
    expect(
      await screen.findByRole('progressbar', { name: 'Checking the cloud' }),
    ).toBeInTheDocument();
    expect(requestDriftScan).toHaveBeenCalledWith(stack);
    expect(screen.getByRole('button', { name: 'Check now' })).toBeDisabled();
    // Re-read until the scan has reported.
    expect(
      await screen.findByText(/^In sync/, undefined, { timeout: 5_000 }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(getStackDrift.mock.calls.length).toBeGreaterThanOrEqual(3);
  }, 15_000);
});
