import { fireEvent, screen, within } from '@testing-library/react';
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

describe('PublicationsPage', () => {
  it("lists a refused definition's problems one per line, and publishes nothing", async () => {
    const publish = jest.fn(async () => {
      throw new Error(
        'ServiceDefinition servicedefinition:default/dns is invalid: spec.fulfilment.manual.projectKey: Required; spec.fulfilment.manual.projectKy: unknown field projectKy (did you mean projectKey?): remove it or check its spelling',
      );
    });
    await render({ listPublications: async () => [], publish }, true);
    fireEvent.change(screen.getByRole('textbox', { name: 'URL of the file' }), {
      target: { value: ` ${url} ` },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Preview' }));
    const refusal = await screen.findByRole('alert', {
      name: 'Why it is not published',
    });
    expect(publish).toHaveBeenCalledWith({ target: url, dryRun: true });
    expect(
      within(refusal)
        .getAllByRole('listitem')
        .map(li => li.textContent),
    ).toEqual([
      'spec.fulfilment.manual.projectKey: Required',
      'spec.fulfilment.manual.projectKy: unknown field projectKy (did you mean projectKey?): remove it or check its spelling',
    ]);
    expect(
      screen.getByText(/Nothing published from the portal yet/),
    ).toBeInTheDocument();
  });
});
