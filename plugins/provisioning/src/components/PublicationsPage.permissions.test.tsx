import { screen } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { provisioningApiRef } from '../api';
import { PublicationsPage } from './PublicationsPage';

const url = 'https://github.com/acme/platform/blob/main/dns.yaml';

async function render(api: object, allowed: boolean) {
  await renderInTestApp(<PublicationsPage />, {
    apis: [
      [provisioningApiRef, api as any],
      mockApis.permission({
        authorize: () =>
          allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      }),
    ],
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
  });
}

// Apart from PublicationsPage.test.tsx: the page's permission decision is cached for a file's tests.
describe('PublicationsPage, for someone who is not a template author', () => {
  it('shows who published what, and lets only template authors publish', async () => {
    await render(
      {
        listPublications: async () => [
          {
            target: url,
            publishedBy: 'user:default/alice',
            publishedAt: '2026-12-05T10:00:00Z',
          },
        ],
        publish: jest.fn(),
      },
      false,
    );
    const row = await screen.findByRole('row', { name: new RegExp(url) });
    expect(row).toHaveTextContent('alice');
    expect(
      await screen.findByText(
        /Only template authors and platform admins publish/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Publish' })).toBeDisabled();
  });
});
