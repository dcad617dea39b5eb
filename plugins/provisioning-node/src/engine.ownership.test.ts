import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  EKSClient,
  ListNodegroupsCommand,
  UpdateClusterVersionCommand,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import { ProvisioningEvent } from '@konductor/plugin-provisioning-common';
import { destroyStack } from './destroy';
import { resourceContext, StackProvisioningError } from './stackRun';
import { Sandbox } from '@konductor/sandbox';
import { AwsProvider } from './aws/AwsProvider';
import {
  credentials,
  engineHelpers,
  eventually,
  stack,
  startEngineSandbox,
} from './__testUtils__/engineSandbox';

describe('provisionStack with the AWS provider against the sandbox', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;
  beforeEach(async () => {
    ({ sandbox, provider } = await startEngineSandbox());
  });
  afterEach(() => sandbox.stop());
  const { inspect, run } = engineHelpers(
    () => sandbox,
    () => provider,
  );

  describe('ownership', () => {
    const resources = async () =>
      (
        (await (await fetch(`${sandbox.url}/__sandbox/resources`)).json()) as {
          resources: {
            service: string;
            type: string;
            id: string;
            phase: string;
          }[];
        }
      ).resources
        .map(r => `${r.service}/${r.type}/${r.id}/${r.phase}`)
        .sort();

    it("refuses another owner's stack of the same name, and its rollback leaves the first owner's resources", async () => {
      const spec = stack('shared');
      spec.resources.network!.natGateways = 1;
      await run(spec, [], { runId: 'team-a-task_shared-dev' });
      const before = await resources();

      const events: ProvisioningEvent[] = [];
      const error = await run(
        { ...spec, owner: 'group:default/team-b' },
        events,
        { runId: 'team-b-task_shared-dev' },
      ).catch(e => e);
      expect(error).toBeInstanceOf(StackProvisioningError);
      expect(error.message).toMatch(
        /VPC vpc-\S+ already exists and it is owned by group:default\/team-a, not group:default\/team-b/,
      );
      expect(error.message).toMatch(/choose another stack name/);
      // Nothing of team-a's was touched: the same resources, in the same state.
      expect(await resources()).toEqual(before);
      expect(error.rolledBack).toEqual([]);
    });

    it('a re-run that adopts a healthy stack and then fails deletes only what it created', async () => {
      const first = stack('reuse');
      first.resources = {
        network: {
          kind: 'network',
          cidr: '10.1.0.0/16',
          availabilityZones: 2,
          natGateways: 0,
        },
        database: first.resources.database,
      };
      const firstOutputs = await run(first, [], { runId: 'task-1_reuse-dev' });
      const before = await resources();

      sandbox.faults.add({
        service: 'eks',
        operation: 'CreateCluster',
        kind: 'fail',
      });
      const second = stack('reuse');
      second.resources.network = first.resources.network;
      const events: ProvisioningEvent[] = [];
      const error = await run(second, events, {
        runId: 'task-2_reuse-dev',
      }).catch(e => e);
      expect(error.message).toMatch(/EKS cluster reuse-dev failed to create/);
      // What it adopted stays, and the run says so; what it created is gone.
      expect(error.retained).toEqual(
        expect.arrayContaining(['network', 'database']),
      );
      expect(error.message).toMatch(
        /this run did not create it \(it was adopted\)/,
      );
      expect(await resources()).toEqual(before);
      expect(
        events.find(e => e.resource === 'database' && e.status === 'retained')
          ?.message,
      ).toMatch(/DB instance reuse-dev-db: this run did not create it/);
      // The adopted stack still works: the first run's outputs describe it.
      expect(
        await provider.exists(
          resourceContext(
            { spec: first, runId: 'task-3_reuse-dev' },
            'database',
            {
              outputs: {},
              signal: new AbortController().signal,
              progress: () => {},
            },
          ),
          firstOutputs.database!,
        ),
      ).toBe(true);
    });

    it('changes the database in place on a re-run that asks for another one, following RDS until it is applied; refuses what RDS cannot change, saying why', async () => {
      const first = stack('grow');
      first.resources = {
        network: {
          kind: 'network',
          cidr: '10.2.0.0/16',
          availabilityZones: 2,
          natGateways: 0,
        },
        database: first.resources.database,
      };
      await run(first, [], { runId: 'task-1_grow-dev' });
      const rds = new RDSClient({
        endpoint: sandbox.url,
        region: 'us-east-1',
        credentials: await credentials('123456789012'),
      });
      const describe = async () =>
        (
          await rds.send(
            new DescribeDBInstancesCommand({
              DBInstanceIdentifier: 'grow-dev-db',
            }),
          )
        ).DBInstances![0];

      const bigger = structuredClone(first);
      bigger.resources.database = {
        ...bigger.resources.database!,
        instanceClass: 'db.t4g.small',
        storageGb: 50,
        multiAz: true,
        backupRetentionDays: 14,
        maintenanceWindow: 'mon:01:00-mon:02:00',
      };
      const events: ProvisioningEvent[] = [];
      await expect(
        run(bigger, events, { runId: 'task-2_grow-dev' }),
      ).resolves.toMatchObject({ database: { instanceId: 'grow-dev-db' } });
      // The run page follows the change: what is modified, then RDS's own state.
      const details = events.map(e => e.detail ?? '');
      expect(details).toContain(
        'DB instance grow-dev-db: modifying DBInstanceClass, AllocatedStorage, MultiAZ, BackupRetentionPeriod, PreferredMaintenanceWindow',
      );
      expect(details).toContain('DB instance grow-dev-db: modifying');
      expect(await describe()).toMatchObject({
        DBInstanceStatus: 'available',
        DBInstanceClass: 'db.t4g.small',
        AllocatedStorage: 50,
        MultiAZ: true,
        BackupRetentionPeriod: 14,
        PreferredMaintenanceWindow: 'mon:01:00-mon:02:00',
      });
      const before = await resources();

      // Smaller storage and no encryption: RDS changes neither; nothing is changed.
      const smaller = structuredClone(bigger);
      smaller.resources.database = {
        ...smaller.resources.database!,
        storageGb: 20,
        encrypted: false,
        instanceClass: 'db.t4g.medium',
      };
      const error = await run(smaller, [], { runId: 'task-3_grow-dev' }).catch(
        e => e,
      );
      expect(error).toBeInstanceOf(StackProvisioningError);
      expect(error.message).toContain(
        'DB instance grow-dev-db already exists, and not as this run asks: resources.database.encrypted is true, not false (encryption is chosen when an instance is created); resources.database.storageGb is 50, not 20 (RDS can only grow storage). Nothing was changed: run the stack with the values it has, or make a new resource under another name',
      );
      expect(await resources()).toEqual(before);
      expect((await describe()).DBInstanceClass).toBe('db.t4g.small');
      // The same spec again changes nothing, and adopts it.
      await expect(
        run(bigger, [], { runId: 'task-4_grow-dev' }),
      ).resolves.toMatchObject({ database: { instanceId: 'grow-dev-db' } });
      // Four runs of a database against the sandbox: seconds on a busy machine.
    }, 30_000);

    it('scales the node group and upgrades Kubernetes in place on a re-run, following the EKS updates; refuses a skipped minor', async () => {
      const first = stack('nodes');
      first.resources = {
        network: {
          kind: 'network',
          cidr: '10.3.0.0/16',
          availabilityZones: 2,
          natGateways: 0,
        },
        cluster: { ...first.resources.cluster!, kubernetesVersion: '1.33' },
      };
      await run(first, [], { runId: 'task-1_nodes-dev' });
      const wider = structuredClone(first);
      wider.resources.cluster = {
        ...wider.resources.cluster!,
        minNodes: 2,
        maxNodes: 6,
      };
      const events: ProvisioningEvent[] = [];
      await run(wider, events, { runId: 'task-3_nodes-dev' });
      const details = events.map(e => e.detail ?? '');
      expect(details).toContain(
        'node group nodes-dev-nodes: scaling to 2-6 nodes',
      );
      expect(
        details.some(d =>
          /^node group nodes-dev-nodes update [0-9a-f-]{36}: InProgress$/.test(
            d,
          ),
        ),
      ).toBe(true);
      const eks = new EKSClient({
        endpoint: sandbox.url,
        region: 'us-east-1',
        credentials: await credentials('123456789012'),
      });
      const { nodegroup } = await eks.send(
        new DescribeNodegroupCommand({
          clusterName: 'nodes-dev',
          nodegroupName: 'nodes-dev-nodes',
        }),
      );
      expect(nodegroup).toMatchObject({
        status: 'ACTIVE',
        scalingConfig: {
          minSize: 2,
          maxSize: 6,
          desiredSize: Math.max(
            2,
            Number(first.resources.cluster!.desiredNodes),
          ),
        },
      });

      // Two minors at once: refused before anything changes.
      const skip = structuredClone(wider);
      skip.resources.cluster!.kubernetesVersion = '1.35';
      const skipped = await run(skip, [], { runId: 'task-4_nodes-dev' }).catch(
        e => e,
      );
      expect(skipped.message).toContain(
        'resources.cluster.kubernetesVersion is 1.33, not 1.35 (EKS upgrades one minor version at a time: ask for 1.34 first)',
      );
      // Endpoint access is not changed in place: refused, saying so.
      const exposed = structuredClone(wider);
      exposed.resources.cluster!.publicEndpoint = true;
      const refused = await run(exposed, [], {
        runId: 'task-6_nodes-dev',
      }).catch(e => e);
      expect(refused.message).toContain(
        'resources.cluster.publicEndpoint is false, not true (Konductor does not change endpoint access in place yet). Nothing was changed',
      );
      // A run that stopped between the control plane and the nodes (here: the control plane
      // upgraded outside the run) leaves the nodes behind: the next upgrade takes them first.
      const { update: outside } = await eks.send(
        new UpdateClusterVersionCommand({ name: 'nodes-dev', version: '1.34' }),
      );
      await eventually(async () =>
        (
          await eks.send(
            new DescribeUpdateCommand({
              name: 'nodes-dev',
              updateId: outside!.id!,
            }),
          )
        ).update?.status === 'Successful'
          ? true
          : undefined,
      );
      const next = structuredClone(wider);
      next.resources.cluster!.kubernetesVersion = '1.35';
      const upgrade: ProvisioningEvent[] = [];
      await run(next, upgrade, { runId: 'task-5_nodes-dev' });
      const steps = upgrade
        .map(e => e.detail ?? '')
        .filter(d => d.includes('upgrading Kubernetes'));
      expect(steps).toEqual([
        'node group nodes-dev-nodes: upgrading Kubernetes 1.33 to 1.34',
        'EKS cluster nodes-dev: upgrading Kubernetes 1.34 to 1.35',
        'node group nodes-dev-nodes: upgrading Kubernetes 1.34 to 1.35',
      ]);
      const { cluster } = await eks.send(
        new DescribeClusterCommand({ name: 'nodes-dev' }),
      );
      expect(cluster).toMatchObject({ status: 'ACTIVE', version: '1.35' });
      expect(
        (
          await eks.send(
            new DescribeNodegroupCommand({
              clusterName: 'nodes-dev',
              nodegroupName: 'nodes-dev-nodes',
            }),
          )
        ).nodegroup?.version,
      ).toBe('1.35');
      // Five runs of a cluster against the sandbox: seconds on a busy machine.
    }, 30_000);

    it('replaces the node group for another instance type: the new nodes first, then the old group deleted; a failed replacement rolls back only the new group', async () => {
      const first = stack('swap');
      first.resources = {
        network: {
          kind: 'network',
          cidr: '10.6.0.0/16',
          availabilityZones: 2,
          natGateways: 0,
        },
        cluster: {
          ...first.resources.cluster!,
          nodeInstanceType: 't3.medium',
          minNodes: 1,
          desiredNodes: 2,
          maxNodes: 4,
        },
      };
      await run(first, [], { runId: 'task-1_swap-dev' });
      const eks = new EKSClient({
        endpoint: sandbox.url,
        region: 'us-east-1',
        credentials: await credentials('123456789012'),
      });
      const groups = async () =>
        Promise.all(
          (
            (
              await eks.send(
                new ListNodegroupsCommand({ clusterName: 'swap-dev' }),
              )
            ).nodegroups ?? []
          ).map(
            async nodegroupName =>
              (
                await eks.send(
                  new DescribeNodegroupCommand({
                    clusterName: 'swap-dev',
                    nodegroupName,
                  }),
                )
              ).nodegroup!,
          ),
        );

      // A replacement that fails: EKS ends the new group CREATE_FAILED. The rollback deletes
      // the group this run created and keeps the cluster and its nodes as they were.
      sandbox.faults.add({
        service: 'eks',
        operation: 'CreateNodegroup',
        kind: 'fail',
        count: 1,
      });
      const larger = structuredClone(first);
      larger.resources.cluster = {
        ...larger.resources.cluster!,
        nodeInstanceType: 'm5.large',
      };
      const error = await run(larger, [], { runId: 'task-2_swap-dev' }).catch(
        e => e,
      );
      expect(error).toBeInstanceOf(StackProvisioningError);
      expect(error.message).toContain(
        'Node group swap-dev-nodes-2 failed to create',
      );
      await eventually(async () =>
        (await groups()).length === 1 ? true : undefined,
      );
      expect(await groups()).toEqual([
        expect.objectContaining({
          nodegroupName: 'swap-dev-nodes',
          status: 'ACTIVE',
          instanceTypes: ['t3.medium'],
        }),
      ]);

      // The autoscaler has added a node since: the new group starts with as many.
      const { update } = await eks.send(
        new UpdateNodegroupConfigCommand({
          clusterName: 'swap-dev',
          nodegroupName: 'swap-dev-nodes',
          scalingConfig: { desiredSize: 3 },
        }),
      );
      await eventually(async () =>
        (
          await eks.send(
            new DescribeUpdateCommand({
              name: 'swap-dev',
              nodegroupName: 'swap-dev-nodes',
              updateId: update!.id!,
            }),
          )
        ).update?.status === 'Successful'
          ? true
          : undefined,
      );
      const events: ProvisioningEvent[] = [];
      const outputs = await run(larger, events, { runId: 'task-3_swap-dev' });
      expect(outputs.cluster).toMatchObject({
        nodegroupName: 'swap-dev-nodes-2',
      });
      const details = events.map(e => e.detail ?? '');
      // The new nodes run before the old ones are drained.
      const replacing = details.indexOf(
        'node group swap-dev-nodes (t3.medium): replacing with swap-dev-nodes-2 (m5.large)',
      );
      const deleting = details.indexOf(
        'node group swap-dev-nodes: deleting, replaced by swap-dev-nodes-2 (m5.large)',
      );
      expect(replacing).toBeGreaterThanOrEqual(0);
      expect(deleting).toBeGreaterThan(replacing);
      expect(await groups()).toEqual([
        expect.objectContaining({
          nodegroupName: 'swap-dev-nodes-2',
          status: 'ACTIVE',
          instanceTypes: ['m5.large'],
          scalingConfig: { minSize: 1, maxSize: 4, desiredSize: 3 },
        }),
      ]);
      // The same spec again changes nothing; the stack's destroy takes the new group and the cluster.
      const again: ProvisioningEvent[] = [];
      await run(larger, again, { runId: 'task-4_swap-dev' });
      expect(again.some(e => /replacing|deleting/.test(e.detail ?? ''))).toBe(
        false,
      );
      await destroyStack({
        spec: larger,
        provider,
        runId: 'task-5_swap-dev',
        onEvent: () => {},
      });
      await expect(
        eks.send(new DescribeClusterCommand({ name: 'swap-dev' })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      // Three runs and a destroy of a cluster against the sandbox: seconds on a busy machine.
    }, 30_000);

    it('fails a database change RDS ends without making, saying what it did not make, and keeps the database', async () => {
      const first = stack('full');
      first.resources = {
        network: {
          kind: 'network',
          cidr: '10.7.0.0/16',
          availabilityZones: 2,
          natGateways: 0,
        },
        database: first.resources.database,
      };
      await run(first, [], { runId: 'task-1_full-dev' });
      const before = await resources();
      // RDS takes the modification, then ends it available without it (no capacity, say).
      sandbox.faults.add({
        service: 'rds',
        operation: 'ModifyDBInstance',
        kind: 'fail',
        count: 1,
      });
      const larger = structuredClone(first);
      larger.resources.database = {
        ...larger.resources.database!,
        instanceClass: 'db.t4g.large',
      };
      const events: ProvisioningEvent[] = [];
      const error = await run(larger, events, {
        runId: 'task-2_full-dev',
      }).catch(e => e);
      expect(error).toBeInstanceOf(StackProvisioningError);
      expect(error.message).toContain(
        'RDS ended the modification of DB instance full-dev-db without making it: resources.database.instanceClass is db.t4g.micro, not db.t4g.large. The instance runs as before',
      );
      // It followed RDS's modification until it ended, and deleted nothing it had adopted.
      expect(events.map(e => e.detail)).toContain(
        'DB instance full-dev-db: modifying DBInstanceClass',
      );
      expect(error.retained).toEqual(
        expect.arrayContaining(['network', 'database']),
      );
      expect(await resources()).toEqual(before);
      // Run again, RDS makes it.
      await expect(
        run(larger, [], { runId: 'task-3_full-dev' }),
      ).resolves.toMatchObject({ database: { instanceId: 'full-dev-db' } });
    }, 30_000);

    it("fails a change whose EKS update fails, with EKS's own reason, and leaves the stack as it was", async () => {
      const first = stack('flaky');
      first.resources = {
        network: {
          kind: 'network',
          cidr: '10.5.0.0/16',
          availabilityZones: 2,
          natGateways: 0,
        },
        cluster: first.resources.cluster!,
      };
      await run(first, [], { runId: 'task-1_flaky-dev' });
      const before = await resources();
      // EKS accepts the update, then it ends Failed: the instances never joined.
      sandbox.faults.add({
        service: 'eks',
        operation: 'UpdateNodegroupConfig',
        kind: 'fail',
        count: 1,
      });
      const wider = structuredClone(first);
      wider.resources.cluster = { ...wider.resources.cluster!, maxNodes: 6 };
      const events: ProvisioningEvent[] = [];
      const error = await run(wider, events, {
        runId: 'task-2_flaky-dev',
      }).catch(e => e);
      expect(error).toBeInstanceOf(StackProvisioningError);
      expect(error.message).toMatch(
        /node group flaky-dev-nodes update [0-9a-f-]{36} failed: NodeCreationFailure: Instances failed to join the kubernetes cluster/,
      );
      // The run followed the update until EKS said so; it deleted nothing it had adopted.
      expect(
        events.some(
          e =>
            e.resource === 'cluster' &&
            /update [0-9a-f-]{36}: InProgress$/.test(e.detail ?? ''),
        ),
      ).toBe(true);
      expect(error.retained).toEqual(
        expect.arrayContaining(['network', 'cluster']),
      );
      expect(await resources()).toEqual(before);
      // The node group keeps its bounds and runs: a re-run tries the change again.
      const eks = new EKSClient({
        endpoint: sandbox.url,
        region: 'us-east-1',
        credentials: await credentials('123456789012'),
      });
      const { nodegroup } = await eks.send(
        new DescribeNodegroupCommand({
          clusterName: 'flaky-dev',
          nodegroupName: 'flaky-dev-nodes',
        }),
      );
      expect(nodegroup).toMatchObject({
        status: 'ACTIVE',
        scalingConfig: { maxSize: 3 },
      });
      await run(wider, [], { runId: 'task-3_flaky-dev' });
      expect(
        (
          await eks.send(
            new DescribeNodegroupCommand({
              clusterName: 'flaky-dev',
              nodegroupName: 'flaky-dev-nodes',
            }),
          )
        ).nodegroup?.scalingConfig?.maxSize,
      ).toBe(6);
    }, 30_000);

    it("refuses a re-run whose network asks for another range than its VPC's", async () => {
      const first = stack('range');
      first.resources = {
        network: {
          kind: 'network',
          cidr: '10.4.0.0/16',
          availabilityZones: 2,
          natGateways: 0,
        },
      };
      await run(first, [], { runId: 'task-1_range-dev' });
      const before = await resources();
      const moved = structuredClone(first);
      moved.resources.network = {
        ...moved.resources.network!,
        cidr: '10.9.0.0/16',
      };
      const error = await run(moved, [], { runId: 'task-2_range-dev' }).catch(
        e => e,
      );
      expect(error.message).toMatch(
        /VPC vpc-\w+ already exists, and not as this run asks: resources\.network\.cidr is 10\.4\.0\.0\/16, not 10\.9\.0\.0\/16\. Konductor does not change an existing network in place yet/,
      );
      expect(await resources()).toEqual(before);
    });

    it('never switches deletion protection off: a protected database survives rollback, and the run says so', async () => {
      sandbox.faults.add({
        service: 'eks',
        operation: 'CreateCluster',
        kind: 'fail',
      });
      const spec = stack('guarded');
      spec.resources.database!.deletionProtection = true;
      const events: ProvisioningEvent[] = [];
      const error = await run(spec, events).catch(e => e);
      expect(error.message).toMatch(
        /Kept: .*DB instance guarded-dev-db: deletion protection is on/,
      );
      // The network stays under the database that uses it; the cluster this run created is gone.
      expect(error.retained).toEqual(
        expect.arrayContaining(['database', 'network']),
      );
      expect(error.rolledBack).toContain('cluster');
      const { counts } = await inspect();
      expect(counts['rds/db-instance']).toBe(1);
      expect(counts['ec2/vpc']).toBe(1);
      expect(counts['eks/cluster']).toBeUndefined();
      const rds = new RDSClient({
        endpoint: sandbox.url,
        region: 'us-east-1',
        credentials: await credentials('123456789012'),
      });
      const db = (
        await rds.send(
          new DescribeDBInstancesCommand({
            DBInstanceIdentifier: 'guarded-dev-db',
          }),
        )
      ).DBInstances![0];
      expect(db.DeletionProtection).toBe(true);
    });

    it('destroying as another owner deletes nothing and says what stayed', async () => {
      await run(stack('theirs'), []);
      const before = await resources();
      const error = await destroyStack({
        spec: { ...stack('theirs'), owner: 'group:default/team-b' },
        provider,
        runId: 'destroy-1',
        onEvent: () => {},
      }).catch(e => e);
      expect(error.message).toMatch(/Stack theirs-dev was not fully destroyed/);
      expect(error.message).toMatch(
        /it is owned by group:default\/team-a, not group:default\/team-b/,
      );
      expect(await resources()).toEqual(before);
    });
  });
});
