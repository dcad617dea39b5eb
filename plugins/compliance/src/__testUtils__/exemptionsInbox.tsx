import { screen, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { complianceApiRef } from '../api';
import { ExemptionsList } from '../components/ExemptionsList';

/** The Approvals inbox's section, rendered for one user. */
const request = (id: string, createdBy: string, status = 'requested') => ({
  id,
  entityRef: `component:default/${id}`,
  checkId: 'techdocs-documented',
  justification: 'The docs move to the new site next sprint',
  expiresAt: '2999-01-01T00:00:00.000Z',
  status,
  createdBy,
  createdAt: '2026-11-20T00:00:00.000Z',
});
const client = {
  listExemptions: async () => ({
    items: [
      request('basket', 'user:default/alice'),
      request('cart', 'user:default/bob'),
      request('till', 'user:default/alice', 'approved'),
      {
        ...request('old', 'user:default/alice'),
        expiresAt: '2026-01-01T00:00:00.000Z',
      },
    ],
  }),
};
/** The first cell (the entity) of each row of the section's table. */
export const rows = async () =>
  within(await screen.findByRole('table', { name: 'Exemption requests' }))
    .getAllByRole('row')
    .slice(1)
    .map(r => within(r).getAllByRole('cell')[0].textContent);

export const renderInbox = (user: string, approver: boolean) =>
  renderInTestApp(<ExemptionsList waiting />, {
    apis: [
      [complianceApiRef, client as any],
      mockApis.identity({ userEntityRef: user }),
      mockApis.permission({
        authorize: r =>
          r.permission.name === 'compliance.exemption.approve' && !approver
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      }),
    ],
  });
