import { liveSpecOf, type StackDrift } from './drift';

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
