import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { ResponseError } from '@backstage/errors';
import type { Entity } from '@backstage/catalog-model';
import { complianceApiRef } from '../api';
import { EntityComplianceCard } from './EntityComplianceCard';
import { EntityComplianceContent } from './EntityComplianceContent';
import { CompliancePage } from './CompliancePage';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'shop-prod-database', namespace: 'default' },
  spec: { type: 'aws-rds-postgres', owner: 'group:default/payments' },
};

const at = '2026-11-23T10:00:00.000Z';
const status = {
  entityRef: 'resource:default/shop-prod-database',
  kind: 'Resource',
  owner: 'group:default/payments',
  environment: 'prod',
  level: 'moderate',
  score: 66.7,
  counts: { pass: 2, fail: 1 },
  evaluatedAt: at,
  history: [
    { score: 100, at: '2026-11-20T10:00:00.000Z' },
    { score: 66.7, at },
  ],
  exemptions: [],
  results: [
    {
      checkId: 'db-multi-az',
      title: 'Production database in several availability zones',
      controls: ['CP-10'],
      status: 'fail',
      message: 'Single availability zone.',
      remediation: 'Set resources.database.multiAz: true for production.',
      evidence: [
        { fact: 'rds.multiAz', value: false, source: 'aws:rds', readAt: at },
      ],
      evaluatedAt: at,
    },
    {
      checkId: 'db-not-public',
      title: 'Database not publicly accessible',
      controls: ['SC-7', 'AC-3'],
      status: 'error',
      message: 'rds.publiclyAccessible: RDS answered 503 (aws:rds)',
      evidence: [
        {
          fact: 'rds.publiclyAccessible',
          source: 'aws:rds',
          readAt: at,
          error: 'RDS answered 503',
        },
      ],
      lastKnown: {
        status: 'pass',
        message: 'Not publicly accessible.',
        evaluatedAt: '2026-11-22T10:00:00.000Z',
      },
      evaluatedAt: at,
    },
    {
      checkId: 'db-encryption-at-rest',
      title: 'Database encrypted at rest',
      controls: ['SC-28'],
      status: 'pass',
      message: 'Storage encrypted.',
      evidence: [
        {
          fact: 'rds.storageEncrypted',
          value: true,
          source: 'aws:rds',
          readAt: at,
        },
      ],
      evaluatedAt: at,
    },
  ],
};

const notFound = async () =>
  ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name: 'NotFoundError', message: 'No status' },
      }),
      {
        status: 404,
        headers: { 'content-type': 'application/json' },
      },
    ) as any,
  );

const inEntity = (children: JSX.Element) => (
  <EntityProvider entity={entity}>{children}</EntityProvider>
);

describe('EntityComplianceCard', () => {
  it('shows the score, what fails or could not be checked, and how to fix it', async () => {
    const api = { getEntity: jest.fn(async () => status) };
    await renderInTestApp(inEntity(<EntityComplianceCard />), {
      apis: [[complianceApiRef, api as any]],
    });
    expect(await screen.findByLabelText('Compliance score')).toHaveTextContent(
      '67%',
    );
    expect(
      screen.getByText('NIST SP 800-53, FISMA moderate, prod'),
    ).toBeInTheDocument();
    expect(screen.getByText('Single availability zone.')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Fix: Set resources.database.multiAz: true for production.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Database not publicly accessible'),
    ).toBeInTheDocument();
    // Passing checks are not listed on the card.
    expect(
      screen.queryByText('Database encrypted at rest'),
    ).not.toBeInTheDocument();
    expect(api.getEntity).toHaveBeenCalledWith(
      'resource:default/shop-prod-database',
    );
  });

  it('offers to evaluate an entity that has not been evaluated yet', async () => {
    let evaluated = false;
    const api = {
      getEntity: jest.fn(async () => {
        if (!evaluated) throw await notFound();
        return status;
      }),
      evaluate: jest.fn(async () => {
        evaluated = true;
        return status;
      }),
    };
    await renderInTestApp(inEntity(<EntityComplianceCard />), {
      apis: [[complianceApiRef, api as any]],
    });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Evaluate now' }),
    );
    expect(await screen.findByLabelText('Compliance score')).toHaveTextContent(
      '67%',
    );
    expect(api.evaluate).toHaveBeenCalledWith(
      'resource:default/shop-prod-database',
    );
  });
});

describe('EntityComplianceContent', () => {
  it('lists every check with its controls, evidence with source, and the last known result of an error', async () => {
    await renderInTestApp(inEntity(<EntityComplianceContent />), {
      apis: [[complianceApiRef, { getEntity: async () => status } as any]],
    });
    const table = await screen.findByRole('table', {
      name: 'Compliance checks',
    });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(
      within(table).getByText('rds.multiAz = false', { exact: false }),
    ).toBeInTheDocument();
    expect(
      within(table).getByText(
        'rds.publiclyAccessible = unknown (RDS answered 503)',
        { exact: false },
      ),
    ).toBeInTheDocument();
    expect(
      within(table).getByText(
        /^Last known: pass \(Not publicly accessible\.\)/,
      ),
    ).toBeInTheDocument();
    expect(within(table).getByText('SC-7')).toBeInTheDocument();
    expect(
      screen.getByRole('img', {
        name: 'Score history: 100% on 2026-11-20, 66.7% on 2026-11-23',
      }),
    ).toBeInTheDocument();
  });
});

describe('CompliancePage', () => {
  const items = [
    {
      ...status,
      entityRef: 'resource:default/shop-prod-database',
      score: 66.7,
      counts: { pass: 2, fail: 1 },
    },
    {
      entityRef: 'component:default/shop',
      kind: 'Component',
      owner: 'group:default/payments',
      level: 'moderate',
      score: 100,
      counts: { pass: 3 },
    },
    {
      entityRef: 'component:default/cart',
      kind: 'Component',
      owner: 'group:default/web',
      level: 'moderate',
      score: 50,
      counts: { pass: 1, fail: 1 },
    },
  ];
  const api = () => ({
    listExemptions: jest.fn(async () => ({
      items: [
        {
          id: 'x1',
          entityRef: 'component:default/cart',
          checkId: 'techdocs-documented',
          justification: 'The docs move to the new site next sprint',
          expiresAt: '2999-01-01T00:00:00.000Z',
          status: 'requested',
          createdBy: 'user:default/alice',
          createdAt: '2026-11-20T00:00:00.000Z',
        },
        {
          id: 'x0',
          entityRef: 'component:default/cart',
          checkId: 'has-owner',
          justification: 'An exemption of last year, expired',
          expiresAt: '2025-01-01T00:00:00.000Z',
          status: 'approved',
          createdBy: 'user:default/alice',
          createdAt: '2024-11-20T00:00:00.000Z',
        },
      ],
    })),
    trend: jest.fn(async () => ({
      points: [
        { at: '2026-11-22T23:59:59.999Z', score: 60, entities: 3 },
        { at: '2026-11-23T23:59:59.999Z', score: 72.2, entities: 3 },
      ],
    })),
    // As the backend answers: the page, how many match and the posture of all of them.
    listEntities: jest.fn(async (filter: { owner?: string } = {}) => {
      const matching = items.filter(
        i => !filter.owner || i.owner === filter.owner,
      );
      const scores = matching.map(i => i.score);
      const counts: Record<string, number> = {};
      for (const i of matching)
        for (const [k, n] of Object.entries(i.counts))
          counts[k] = (counts[k] ?? 0) + n;
      return {
        items: matching,
        totalCount: matching.length,
        posture: {
          counts,
          score:
            Math.round(
              (10 * scores.reduce((a, b) => a + b, 0)) / scores.length,
            ) / 10,
        },
      };
    }),
    facets: jest.fn(async () => ({
      owner: [...new Set(items.map(i => i.owner))].sort(),
      system: [],
      environment: [],
      kind: [],
      level: [],
    })),
    summary: jest.fn(async () => ({
      groupBy: 'control',
      groups: [
        {
          key: 'CP-10',
          title: 'System Recovery and Reconstitution',
          entities: 1,
          counts: { fail: 1 },
          score: 0,
          cells: {
            'group:default/payments': { counts: { fail: 1 }, score: 0 },
          },
        },
      ],
    })),
  });

  it('shows the posture, the heat map and the worst offenders, and filters by owner', async () => {
    const client = api();
    await renderInTestApp(<CompliancePage />, {
      apis: [[complianceApiRef, client as any]],
    });
    // The average entity score: (66.7 + 100 + 50) / 3.
    expect(await screen.findByLabelText('Overall score')).toHaveTextContent(
      '72.2%',
    );
    expect(
      screen.getByRole('img', {
        name: 'Posture trend: 60% on 2026-11-22, 72.2% on 2026-11-23',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByLabelText('CP-10 group:default/payments: 0'),
    ).toHaveTextContent('0%');
    const worst = screen.getByRole('table', { name: 'Worst offenders' });
    // Each entity as the catalog presents it: without a title, its name.
    expect(
      within(worst)
        .getAllByRole('link')
        .map(l => l.textContent),
    ).toEqual(['cart', 'shop-prod-database']);
    expect(within(worst).getByRole('link', { name: 'cart' })).toHaveAttribute(
      'href',
      '/catalog/default/component/cart/compliance',
    );
    // The exemptions not expired, with their state.
    const exemptions = await screen.findByRole('table', { name: 'Exemptions' });
    const rows = within(exemptions).getAllByRole('row').slice(1);
    expect(rows.map(r => r.textContent)).toEqual([
      expect.stringContaining('techdocs-documentedwaiting for approval'),
    ]);

    fireEvent.mouseDown(screen.getByRole('combobox', { name: 'Owner' }));
    fireEvent.click(
      await screen.findByRole('option', { name: 'group:default/web' }),
    );
    await waitFor(() =>
      expect(screen.getByLabelText('Overall score')).toHaveTextContent('50%'),
    );
    expect(client.summary).toHaveBeenLastCalledWith('control', {
      owner: 'group:default/web',
      by: 'owner',
    });
  });

  it("approves someone else's exemption request from the list, and offers its requester no Approve", async () => {
    // An entity of its own: permission answers are cached per resource across renders.
    const client = {
      ...api(),
      listExemptions: jest.fn(async () => ({
        items: [
          {
            id: 'x9',
            entityRef: 'component:default/basket',
            checkId: 'techdocs-documented',
            justification: 'The docs move to the new site next sprint',
            expiresAt: '2999-01-01T00:00:00.000Z',
            status: 'requested',
            createdBy: 'user:default/alice',
            createdAt: '2026-11-20T00:00:00.000Z',
          },
        ],
      })),
      approveExemption: jest.fn(async () => ({})),
      deleteExemption: jest.fn(async () => undefined),
    };
    // Each exemption as the requester or an approver: alice asked; carol approves.
    const renderAs = (user: string) =>
      renderInTestApp(<CompliancePage />, {
        apis: [
          [complianceApiRef, client as any],
          mockApis.identity({ userEntityRef: user }),
          mockApis.permission({
            authorize: request =>
              request.permission.name === 'compliance.exemption.delete'
                ? AuthorizeResult.DENY
                : AuthorizeResult.ALLOW,
          }),
        ],
      });
    const { unmount } = await renderAs('user:default/alice');
    let table = await screen.findByRole('table', { name: 'Exemptions' });
    await within(table).findByText('techdocs-documented');
    expect(within(table).queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(
      within(table).queryByRole('button', { name: 'Withdraw' }),
    ).toBeNull();
    unmount();

    await renderAs('user:default/carol');
    table = await screen.findByRole('table', { name: 'Exemptions' });
    fireEvent.click(
      await within(table).findByRole('button', { name: 'Approve' }),
    );
    // The approval asks for an optional comment to the requester, in a dialog.
    const dialog = await screen.findByRole('dialog', {
      name: 'Approve the exemption from techdocs-documented of component:default/basket',
    });
    expect(dialog).toHaveTextContent(
      'user:default/alice asked: The docs move to the new site next sprint.',
    );
    fireEvent.change(
      within(dialog).getByRole('textbox', { name: 'Comment (optional)' }),
      { target: { value: 'Link the new site from the README' } },
    );
    fireEvent.click(within(dialog).getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(client.approveExemption).toHaveBeenCalledWith(
        'x9',
        'Link the new site from the README',
      ),
    );
    // The list is read again, to show the exemption approved.
    await waitFor(() => expect(client.listExemptions).toHaveBeenCalledTimes(3));
  });

  it("rejects someone else's request with a comment, keeping the dialog and the words typed when the backend refuses them", async () => {
    const request = {
      id: 'x7',
      entityRef: 'component:default/bag',
      checkId: 'techdocs-documented',
      justification: 'The docs move to the new site next sprint',
      expiresAt: '2999-01-01T00:00:00.000Z',
      status: 'requested',
      createdBy: 'user:default/alice',
      createdAt: '2026-11-20T00:00:00.000Z',
    };
    let listed: object[] = [request];
    const refusal = Object.assign(new Error('Request failed with 400'), {
      body: {
        error: {
          message:
            'Invalid rejection: comment: tell the requester why (10 characters or more)',
        },
      },
    });
    const client = {
      ...api(),
      listExemptions: jest.fn(async () => ({ items: listed })),
      rejectExemption: jest
        .fn()
        .mockRejectedValueOnce(refusal)
        .mockImplementationOnce(async (_id: string, comment: string) => {
          listed = [
            {
              ...request,
              status: 'rejected',
              rejectedBy: 'user:default/carol',
              rejectionComment: comment,
            },
          ];
          return listed[0];
        }),
    };
    await renderInTestApp(<CompliancePage />, {
      apis: [
        [complianceApiRef, client as any],
        mockApis.identity({ userEntityRef: 'user:default/carol' }),
        mockApis.permission({
          authorize: r =>
            r.permission.name === 'compliance.exemption.delete'
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
        }),
      ],
    });
    const table = await screen.findByRole('table', { name: 'Exemptions' });
    fireEvent.click(
      await within(table).findByRole('button', { name: 'Reject' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Reject the exemption from techdocs-documented of component:default/bag',
    });
    const comment = within(dialog).getByRole('textbox', { name: 'Comment' });
    fireEvent.change(comment, { target: { value: 'no' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reject' }));
    expect(
      await within(dialog).findByText(
        'Invalid rejection: comment: tell the requester why (10 characters or more)',
      ),
    ).toBeInTheDocument();
    expect(comment).toHaveValue('no');
    fireEvent.change(comment, {
      target: { value: 'Publish the docs on the new site first' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reject' }));
    await waitFor(() =>
      expect(client.rejectExemption).toHaveBeenLastCalledWith(
        'x7',
        'Publish the docs on the new site first',
      ),
    );
    // Read again: rejected, by whom (as the catalog presents people) and why, and nothing left
    // to decide.
    const row = (await within(table).findByText('rejected')).closest('tr')!;
    await waitFor(() =>
      expect(row).toHaveTextContent(
        'carol: Publish the docs on the new site first',
      ),
    );
    expect(within(table).getByText('rejected')).toBeInTheDocument();
    expect(within(table).queryByRole('button', { name: 'Reject' })).toBeNull();
  });

  it('says what went wrong and retries', async () => {
    const client = api();
    client.listEntities.mockRejectedValueOnce(
      new Error('compliance backend unavailable'),
    );
    await renderInTestApp(<CompliancePage />, {
      apis: [[complianceApiRef, client as any]],
    });
    expect(
      await screen.findByText('compliance backend unavailable'),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    // The average entity score: (66.7 + 100 + 50) / 3.
    expect(await screen.findByLabelText('Overall score')).toHaveTextContent(
      '72.2%',
    );
  });
});
