import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { provisioningApiRef } from '../api';
import { PublicationsPage } from './PublicationsPage';

const url = 'https://github.com/acme/platform/blob/main/dns.yaml';

async function render(
  api: object,
  allowed: boolean | ((resourceRef?: string) => boolean),
) {
  await renderInTestApp(<PublicationsPage />, {
    apis: [
      [provisioningApiRef, api as any],
      mockApis.permission({
        authorize: request =>
          (
            typeof allowed === 'function'
              ? allowed((request as { resourceRef?: string }).resourceRef)
              : allowed
          )
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
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

  it('offers Unpublish on what the user may unpublish alone, confirms it, and lists what is left', async () => {
    const mine = 'https://github.com/acme/platform/blob/main/mine.yaml';
    const theirs = 'https://github.com/acme/platform/blob/main/theirs.yaml';
    let items = [mine, theirs].map(target => ({
      target,
      publishedBy: 'user:default/alice',
      publishedAt: '2026-12-01T10:00:00.000Z',
    }));
    const unpublish = jest.fn(async (target: string) => {
      items = items.filter(p => p.target !== target);
    });
    await render(
      { listPublications: async () => items, publish: jest.fn(), unpublish },
      resourceRef => resourceRef === undefined || resourceRef === mine,
    );
    const table = screen.getByRole('table', { name: 'Published definitions' });
    const row = async (target: string) =>
      (await within(table).findByRole('link', { name: target })).closest('tr')!;
    expect(
      await within(await row(mine)).findByRole('button', { name: 'Unpublish' }),
    ).toBeInTheDocument();
    expect(
      within(await row(theirs)).queryByRole('button', { name: 'Unpublish' }),
    ).toBeNull();

    fireEvent.click(
      within(await row(mine)).getByRole('button', { name: 'Unpublish' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('their forms leave Create');
    // Kept: nothing happens.
    fireEvent.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    expect(unpublish).not.toHaveBeenCalled();

    fireEvent.click(
      within(await row(mine)).getByRole('button', { name: 'Unpublish' }),
    );
    fireEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Unpublish',
      }),
    );
    await waitFor(() => expect(unpublish).toHaveBeenCalledWith(mine));
    await waitFor(() =>
      expect(within(table).queryByRole('link', { name: mine })).toBeNull(),
    );
    expect(
      within(table).getByRole('link', { name: theirs }),
    ).toBeInTheDocument();
  });
});
