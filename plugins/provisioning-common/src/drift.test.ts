import { acceptDrift, liveSpecOf, type StackDrift } from './drift';

const spec = {
  name: 'shop',
  resources: {
    network: { kind: 'network', cidr: '10.0.0.0/16' },
    database: {
      kind: 'database',
      instanceClass: 'db.t4g.small',
      storageGb: 20,
    },
    cluster: { kind: 'cluster', maxNodes: 3 },
  },
};

const drift = (version: number): StackDrift => ({
  version,
  scannedAt: '2026-12-03T11:00:00.000Z',
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
          firstSeenAt: '2026-12-03T10:00:00.000Z',
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
  ],
});

describe('liveSpecOf', () => {
  it("takes each drifted attribute's actual value and leaves out what is gone", () => {
    expect(liveSpecOf(spec, 2, drift(2))).toEqual({
      name: 'shop',
      resources: {
        network: { kind: 'network', cidr: '10.0.0.0/16' },
        database: {
          kind: 'database',
          instanceClass: 'db.t4g.medium',
          storageGb: 20,
        },
      },
    });
    // The recorded spec is left as it was.
    expect(spec.resources.database.instanceClass).toBe('db.t4g.small');
  });

  it('uses no scan of another version, and none that found nothing', () => {
    expect(liveSpecOf(spec, 3, drift(2))).toBeUndefined();
    expect(liveSpecOf(spec, 2, undefined)).toBeUndefined();
    expect(
      liveSpecOf(spec, 2, { ...drift(2), resources: [drift(2).resources[0]] }),
    ).toBeUndefined();
  });
});

describe('acceptDrift', () => {
  const steps = [
    {
      action: 'konductor:stack:provision',
      input: {
        resources: {
          database: { instanceClass: '${{ parameters.db.size }}' },
          cluster: { maxNodes: '${{parameters.nodes}}', minNodes: 1 },
        },
      },
    },
  ];
  const attribute = (field: string, actual: unknown) => ({
    field,
    actual,
    firstSeenAt: '2026-12-03T10:00:00.000Z',
  });
  const found = (...resources: StackDrift['resources']): StackDrift => ({
    version: 2,
    resources,
  });

  it("puts each drifted attribute's live value in the form parameter it came from, nested or not", () => {
    expect(
      acceptDrift(
        steps,
        {
          name: 'shop',
          db: { size: 'db.t4g.small', engine: 'postgres' },
          nodes: 3,
        },
        found(
          {
            resource: 'database',
            kind: 'database',
            state: 'drifted',
            attributes: [attribute('instanceClass', 'db.t4g.medium')],
          },
          {
            resource: 'cluster',
            kind: 'cluster',
            state: 'drifted',
            attributes: [attribute('maxNodes', 5)],
          },
          {
            resource: 'network',
            kind: 'network',
            state: 'in-sync',
            attributes: [],
          },
        ),
      ),
    ).toEqual({
      values: {
        name: 'shop',
        db: { size: 'db.t4g.medium', engine: 'postgres' },
        nodes: 5,
      },
      refusals: [],
    });
  });

  it('refuses what the template fixes, what no stack step sets and a resource gone, with every reason', () => {
    const acceptance = acceptDrift(
      steps,
      { nodes: 3 },
      found(
        {
          resource: 'cluster',
          kind: 'cluster',
          state: 'drifted',
          attributes: [attribute('minNodes', 2), attribute('version', '1.31')],
        },
        {
          resource: 'network',
          kind: 'network',
          state: 'missing',
          attributes: [],
          detail: 'VPC vpc-1 is gone',
        },
      ),
    );
    expect(acceptance.values).toBeUndefined();
    expect(acceptance.refusals).toEqual([
      "cluster.minNodes is not a field of the stack's form (its template sets it or leaves it to the default): Revert, or ask the template's owners to offer it",
      "cluster.version is not a field of the stack's form (its template sets it or leaves it to the default): Revert, or ask the template's owners to offer it",
      'network is gone (VPC vpc-1 is gone): Revert creates it again, Destroy removes the rest',
    ]);
  });
});
