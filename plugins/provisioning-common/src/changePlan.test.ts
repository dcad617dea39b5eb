import { planChange } from './changePlan';
import type { StackSpec } from './stackSpec';
import { validateStackSpec } from './validation';

const specOf = (resources: Record<string, object>): StackSpec => {
  const result = validateStackSpec({
    name: 'shop',
    environment: 'dev',
    owner: 'group:default/team-a',
    target: { provider: 'aws', accountId: '123456789012', region: 'us-east-1' },
    resources,
  });
  if (!result.valid) throw new Error(JSON.stringify(result.problems));
  return result.spec;
};

const current = specOf({
  network: { cidr: '10.0.0.0/16' },
  database: { instanceClass: 'db.t4g.micro', storageGb: 50 },
  cluster: { kubernetesVersion: '1.32' },
  app: { image: 'ghcr.io/acme/shop:1.0.0', replicas: 2 },
});

describe('planChange', () => {
  it('plans updates in place with the fields, the interruption and the cost before and after', () => {
    const plan = planChange(
      current,
      specOf({
        network: { cidr: '10.0.0.0/16' },
        database: {
          instanceClass: 'db.t4g.small',
          storageGb: 100,
          multiAz: true,
        },
        cluster: { kubernetesVersion: '1.33', maxNodes: 5 },
        app: { image: 'ghcr.io/acme/shop:1.1.0', replicas: 3 },
      }),
      4,
    );
    expect(plan.fromVersion).toBe(4);
    expect(plan.refusals).toEqual([]);
    const byName = Object.fromEntries(plan.resources.map(r => [r.resource, r]));
    expect(byName.network).toMatchObject({ action: 'none', changes: [] });
    expect(byName.cluster).toMatchObject({
      action: 'update',
      interrupts: false,
      changes: [
        { path: 'kubernetesVersion', before: '1.32', after: '1.33' },
        { path: 'maxNodes', before: 3, after: 5 },
      ],
    });
    expect(byName.database).toMatchObject({
      action: 'update',
      interrupts: true,
      changes: [
        {
          path: 'instanceClass',
          before: 'db.t4g.micro',
          after: 'db.t4g.small',
        },
        { path: 'multiAz', before: false, after: true },
        { path: 'storageGb', before: 50, after: 100 },
      ],
    });
    expect(byName.database.monthlyCostAfter).toBeGreaterThan(
      2 * byName.database.monthlyCostBefore,
    );
    expect(byName.app).toMatchObject({ action: 'update', interrupts: false });
    expect(plan.monthlyCostAfter - plan.monthlyCostBefore).toBeCloseTo(
      byName.database.monthlyCostAfter - byName.database.monthlyCostBefore,
      2,
    );
  });

  it('refuses, saying why, what cannot change in place: shrinking storage, encryption, a major version, an unchanged-in-place kind, a removed resource', () => {
    const plan = planChange(
      current,
      specOf({
        network: { cidr: '10.9.0.0/16' },
        database: {
          instanceClass: 'db.t4g.micro',
          storageGb: 20,
          encrypted: false,
          engineVersion: '17.4',
        },
        cluster: { kubernetesVersion: '1.34', desiredNodes: 3 },
      }),
      1,
    );
    expect(plan.refusals).toEqual([
      'resources.app: Konductor does not remove a resource from an existing stack yet (it is not in the new spec): keep it as it is, or destroy the stack',
      'resources.cluster.desiredNodes: the node count is moved by the autoscaler between minNodes and maxNodes: change those',
      'resources.cluster.kubernetesVersion: EKS upgrades one minor version at a time: ask for 1.33 first',
      'resources.database.encrypted: encryption is chosen when an instance is created',
      'resources.database.engineVersion: Konductor upgrades minor versions in place, not major ones',
      'resources.database.storageGb: RDS can only grow storage',
      'resources.network.cidr: Konductor does not change the cidr of an existing network in place yet',
    ]);
    expect(plan.resources.find(r => r.resource === 'app')).toMatchObject({
      action: 'refused',
      monthlyCostAfter: 0,
    });
  });

  it('plans a new resource as created', () => {
    const plan = planChange(
      current,
      specOf({
        network: { cidr: '10.0.0.0/16' },
        database: { instanceClass: 'db.t4g.micro', storageGb: 50 },
        cluster: { kubernetesVersion: '1.32' },
        app: { image: 'ghcr.io/acme/shop:1.0.0', replicas: 2 },
        secrets: { generated: ['SESSION_KEY'] },
      }),
      2,
    );
    expect(
      plan.resources.filter(r => r.action !== 'none').map(r => r.resource),
    ).toEqual(['secrets']);
    expect(plan.resources.find(r => r.resource === 'secrets')).toMatchObject({
      action: 'create',
      monthlyCostBefore: 0,
    });
  });
});
