import { screen } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ProvisioningPage } from './RunsPage';

describe('ProvisioningPage', () => {
  it('says so at an address it has no page for, under the tabs that are there', async () => {
    await renderInTestApp(<ProvisioningPage />, {
      mountPath: '/provisioning/*',
      initialRouteEntries: ['/provisioning/inventory'],
      apis: [mockApis.permission({ authorize: () => AuthorizeResult.DENY })],
    });
    expect(
      await screen.findByRole('heading', { name: 'No such page' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('tablist', { name: 'Provisioning views' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Stacks' })).toHaveAttribute(
      'href',
      '/provisioning/stacks',
    );
    // No tab is selected: none is this page.
    expect(screen.queryByRole('tab', { selected: true })).toBeNull();
  });
});
