import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import type { ProvisioningRun } from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { run } from '../__testUtils__/fakeBackend';
import { RunsTable } from './RunsTable';

const runs: ProvisioningRun[] = [
  { ...run, id: 'a_shop-dev', stackId: 'shop-dev', status: 'failed' },
  {
    ...run,
    id: 'b_cart-prod',
    stackId: 'cart-prod',
    environment: 'prod',
    status: 'succeeded',
    finishedAt: new Date(Date.parse(run.createdAt) + 125_000).toISOString(),
  },
];

/** A backend that filters by status and environment as the real one does. */
const fakeClient = () => ({
  listRuns: jest.fn(async (query: Record<string, unknown>) => {
    const items = runs.filter(
      r =>
        (!query.status || r.status === query.status) &&
        (!query.environment || r.environment === query.environment),
    );
    return { items, totalCount: items.length };
  }),
});

describe('RunsTable', () => {
  it('lists runs with their status and duration, and filters on the server', async () => {
    const client = fakeClient();
    await renderInTestApp(<RunsTable />, {
      apis: [[provisioningApiRef, client as any]],
    });
    const table = await screen.findByRole('table', {
      name: 'Provisioning runs',
    });
    expect(
      within(table).getByRole('link', { name: 'shop-dev' }),
    ).toHaveAttribute('href', '/provisioning/runs/a_shop-dev');
    expect(within(table).getByText('2m 05s')).toBeInTheDocument();

    fireEvent.mouseDown(screen.getByRole('combobox', { name: 'Status' }));
    fireEvent.click(await screen.findByRole('option', { name: 'succeeded' }));
    await waitFor(() =>
      expect(within(table).queryByText('shop-dev')).not.toBeInTheDocument(),
    );
    expect(client.listRuns).toHaveBeenLastCalledWith(
      expect.objectContaining({ status: 'succeeded', offset: 0, limit: 20 }),
    );
    expect(within(table).getByText('cart-prod')).toBeInTheDocument();
  });

  it('says when nothing matches, and points to the Create page when there are no runs', async () => {
    await renderInTestApp(
      <RunsTable fixed={{ entityRef: 'component:default/none' }} />,
      {
        apis: [
          [
            provisioningApiRef,
            { listRuns: async () => ({ items: [], totalCount: 0 }) } as any,
          ],
        ],
      },
    );
    expect(
      await screen.findByText('No provisioning runs yet'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'Create something' }),
    ).toBeInTheDocument();
  });

  it('shows an error it can retry', async () => {
    const listRuns = jest
      .fn()
      .mockRejectedValueOnce(new Error('backend unavailable'))
      .mockResolvedValue({ items: runs, totalCount: 2 });
    await renderInTestApp(<RunsTable />, {
      apis: [[provisioningApiRef, { listRuns } as any]],
    });
    expect(
      await screen.findByText(
        /Could not load provisioning runs: backend unavailable/,
      ),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('cart-prod')).toBeInTheDocument();
  });
});
