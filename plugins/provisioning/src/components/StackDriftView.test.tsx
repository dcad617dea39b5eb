import { fireEvent, screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import type {
  ResourceDrift,
  StackDrift,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import type { StackChangeForm } from './StackActions';
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

/** The form of the run that made version 2: the class is a form field, multi-AZ is not. */
const changeForm: StackChangeForm = {
  templateRef: 'template:default/postgres-database',
  values: {
    name: 'shop',
    instanceClass: 'db.t4g.small',
    konductorChange: true,
  },
  steps: [
    { action: 'fetch:template', input: { url: './skeleton' } },
    {
      action: 'konductor:stack:provision',
      input: {
        name: '${{ parameters.name }}',
        resources: {
          database: {
            instanceClass: '${{ parameters.instanceClass }}',
            multiAz: "${{ parameters.environment == 'prod' }}",
          },
        },
      },
    },
  ],
};

const formData = (href: string | null) =>
  JSON.parse(new URL(href!, 'http://portal').searchParams.get('formData')!);

async function render(api: object, form?: StackChangeForm, version = 2) {
  await renderInTestApp(
    <StackDriftView stack={stack} version={version} changeForm={form} />,
    { apis: [[provisioningApiRef, api as any]] },
  );
}

const drifted = (...attributes: ResourceDrift['attributes']): StackDrift => ({
  ...scanned,
  resources: [scanned.resources[0], { ...scanned.resources[1], attributes }],
});

describe('StackDriftView', () => {
  it('shows each drifted attribute and each resource gone, what is not read back, and Revert', async () => {
    await render({ getStackDrift: jest.fn(async () => scanned) }, changeForm);
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
    const revert = screen.getByRole('link', { name: 'Revert' });
    expect(revert.getAttribute('href')).toMatch(
      /^\/create\/templates\/default\/postgres-database\?/,
    );
    expect(formData(revert.getAttribute('href'))).toEqual(changeForm.values);
    // A resource gone cannot be accepted as it is.
    expect(screen.queryByRole('link', { name: 'Accept' })).toBeNull();
    expect(
      screen.getByRole('alert', { name: 'Cannot accept' }),
    ).toHaveTextContent(
      'cluster is gone (EKS cluster shop-dev is gone): Revert creates it again',
    );
  });

  it('accepts a drifted form field: the change form with the live value', async () => {
    await render(
      {
        getStackDrift: async () =>
          drifted({
            field: 'instanceClass',
            desired: 'db.t4g.small',
            actual: 'db.t4g.medium',
            firstSeenAt: '2026-12-03T10:00:00Z',
          }),
      },
      changeForm,
    );
    const accept = await screen.findByRole('link', { name: 'Accept' });
    expect(formData(accept.getAttribute('href'))).toEqual({
      ...changeForm.values,
      instanceClass: 'db.t4g.medium',
    });
    expect(
      screen.getByText(/its run records them as version 3/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('alert', { name: 'Cannot accept' })).toBeNull();
  });

  it('refuses to accept an attribute the template sets, saying which', async () => {
    await render(
      {
        getStackDrift: async () =>
          drifted(
            {
              field: 'instanceClass',
              desired: 'db.t4g.small',
              actual: 'db.t4g.medium',
              firstSeenAt: '2026-12-03T10:00:00Z',
            },
            {
              field: 'multiAz',
              desired: false,
              actual: true,
              firstSeenAt: '2026-12-03T10:00:00Z',
            },
          ),
      },
      changeForm,
    );
    expect(
      await screen.findByRole('alert', { name: 'Cannot accept' }),
    ).toHaveTextContent(
      "database.multiAz is not a field of the stack's form (its template sets it or leaves it to the default)",
    );
    expect(screen.queryByRole('link', { name: 'Accept' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Revert' })).toBeInTheDocument();
  });

  it('offers neither Revert nor Accept for a scan of an older version', async () => {
    const getStackDrift = async () => scanned;
    await render({ getStackDrift }, changeForm, 3);
    expect(
      await screen.findByText(/2 of 4 resources differ from version 2/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Revert' })).toBeNull();
    expect(screen.queryByRole('link', { name: 'Accept' })).toBeNull();
  });

  it('offers neither to whoever may not change the stack', async () => {
    await render({ getStackDrift: async () => scanned });
    expect(
      await screen.findByText(/2 of 4 resources differ from version 2/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Revert' })).toBeNull();
    expect(screen.queryByRole('link', { name: 'Accept' })).toBeNull();
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
