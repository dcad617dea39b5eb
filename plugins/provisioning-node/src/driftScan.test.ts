import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  DescribeNodegroupCommand,
  EKSClient,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import type { StackSpec } from '@konductor/plugin-provisioning-common';
import { Sandbox } from '@konductor/sandbox';
import { AwsProvider } from './aws/AwsProvider';
import { scanDrift } from './driftScan';
import {
  credentials,
  engineHelpers,
  eventually,
  stack,
  startEngineSandbox,
} from './__testUtils__/engineSandbox';

describe('scanDrift against the sandbox', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;
  beforeEach(async () => {
    ({ sandbox, provider } = await startEngineSandbox());
  });
  afterEach(() => sandbox.stop());
  const { run } = engineHelpers(
    () => sandbox,
    () => provider,
  );
  const client = async <T>(Client: new (config: any) => T) =>
    new Client({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
  const calls = async () =>
    (
      (await (await fetch(`${sandbox.url}/__sandbox/calls`)).json()) as {
        calls: Record<string, number>;
      }
    ).calls;
  const scan = (spec: StackSpec) =>
    scanDrift({
      spec,
      version: 3,
      provider,
      now: () => new Date('2026-12-03T12:00:00Z'),
    });

  it('finds what changed outside Konductor, attribute by attribute, reading each resource once', async () => {
    const spec = stack('drifty');
    spec.resources = {
      network: {
        kind: 'network',
        cidr: '10.3.0.0/16',
        availabilityZones: 2,
        natGateways: 0,
      },
      database: spec.resources.database,
      cluster: spec.resources.cluster,
    } as StackSpec['resources'];
    await run(spec, []);

    await fetch(`${sandbox.url}/__sandbox/calls`, { method: 'DELETE' });
    const clean = await scan(spec);
    expect(clean.version).toBe(3);
    expect(clean.scannedAt).toBe('2026-12-03T12:00:00.000Z');
    expect(
      clean.resources.map(r => [r.resource, r.state, r.attributes]),
    ).toEqual([
      ['network', 'in-sync', []],
      ['database', 'in-sync', []],
      ['cluster', 'in-sync', []],
    ]);
    // One describe per resource; the cluster and its node group are three calls in EKS (the
    // stack's node groups are listed: a new instance type is a new group under another name).
    expect(await calls()).toEqual({
      'ec2:DescribeVpcs': 1,
      'rds:DescribeDBInstances': 1,
      'eks:DescribeCluster': 1,
      'eks:ListNodegroups': 1,
      'eks:DescribeNodegroup': 1,
    });

    // Out of band, as in the console: a larger class, applied now; more nodes allowed.
    const rds = await client(RDSClient);
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'drifty-dev-db',
        DBInstanceClass: 'db.t4g.medium',
        ApplyImmediately: true,
      }),
    );
    // RDS applies the class while the instance is `modifying`, then it is `available`.
    await eventually(async () => {
      const db = (
        await rds.send(
          new DescribeDBInstancesCommand({
            DBInstanceIdentifier: 'drifty-dev-db',
          }),
        )
      ).DBInstances![0];
      return db.DBInstanceStatus === 'available' &&
        db.DBInstanceClass === 'db.t4g.medium'
        ? db
        : undefined;
    });
    const eks = await client(EKSClient);
    await eks.send(
      new UpdateNodegroupConfigCommand({
        clusterName: 'drifty-dev',
        nodegroupName: 'drifty-dev-nodes',
        scalingConfig: { minSize: 1, desiredSize: 2, maxSize: 6 },
      }),
    );
    // EKS applies it as an update, then the node group describes the new bounds.
    await eventually(async () => {
      const { nodegroup } = await eks.send(
        new DescribeNodegroupCommand({
          clusterName: 'drifty-dev',
          nodegroupName: 'drifty-dev-nodes',
        }),
      );
      return nodegroup?.status === 'ACTIVE' &&
        nodegroup.scalingConfig?.maxSize === 6
        ? nodegroup
        : undefined;
    });

    const drifted = await scan(spec);
    expect(drifted.resources).toEqual([
      {
        resource: 'network',
        kind: 'network',
        state: 'in-sync',
        attributes: [],
      },
      {
        resource: 'database',
        kind: 'database',
        state: 'drifted',
        attributes: [
          {
            field: 'instanceClass',
            desired: 'db.t4g.micro',
            actual: 'db.t4g.medium',
          },
        ],
      },
      {
        resource: 'cluster',
        kind: 'cluster',
        state: 'drifted',
        attributes: [{ field: 'maxNodes', desired: 3, actual: 6 }],
      },
    ]);

    // Deleted outside Konductor: drift too.
    await rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: 'drifty-dev-db',
        SkipFinalSnapshot: true,
      }),
    );
    const gone = await scan(spec);
    expect(gone.resources[1]).toEqual({
      resource: 'database',
      kind: 'database',
      state: 'missing',
      attributes: [],
      detail: expect.stringMatching(
        /^DB instance drifty-dev-db is (gone|being deleted)$/,
      ),
    });
  }, 60_000);

  it("reports another owner's resource of the same name as missing, and kinds that read nothing back as not checked", async () => {
    const spec = stack('theirs');
    spec.resources = {
      network: {
        kind: 'network',
        cidr: '10.4.0.0/16',
        availabilityZones: 2,
        natGateways: 0,
      },
      secrets: spec.resources.secrets,
    } as StackSpec['resources'];
    await run(spec, []);
    const report = await scan({ ...spec, owner: 'group:default/team-b' });
    expect(report.resources).toEqual([
      {
        resource: 'network',
        kind: 'network',
        state: 'missing',
        attributes: [],
        detail: expect.stringMatching(
          /^VPC vpc-\S+ exists but it is owned by group:default\/team-a, not group:default\/team-b$/,
        ),
      },
      {
        resource: 'secrets',
        kind: 'secrets',
        state: 'unchecked',
        attributes: [],
        detail: 'Konductor does not read back a secrets resource yet',
      },
    ]);
  }, 30_000);
});
