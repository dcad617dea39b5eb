import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import * as k8s from '@kubernetes/client-node';
import { startSandbox, Sandbox } from '@konductor/sandbox';
import {
  ProvisioningEvent,
  StackSpec,
  validateStackSpec,
} from '@konductor/plugin-provisioning-common';
import { AwsProvider } from './aws/AwsProvider';
import { AwsClientFactory } from './aws/AwsClientFactory';
import { provisionStack } from './engine';
import { destroyStack } from './destroy';
import {
  Checkpoint,
  resourceContext,
  StackProvisioningError,
} from './stackRun';
import type { CloudProvider, ResourceOutputs } from './provider';

const durations = {
  vpc: 20,
  rdsInstance: 400,
  rdsInstanceDelete: 100,
  eksCluster: 500,
  eksClusterDelete: 100,
  eksNodegroup: 200,
  eksNodegroupDelete: 100,
  deployment: 150,
  natGateway: 80,
  natGatewayDelete: 40,
};

/** A Kubernetes API client of a sandbox cluster (any token is accepted there). */
function kubeClient<T = k8s.CoreV1Api>(
  server: string,
  Api: new (...args: any[]) => T = k8s.CoreV1Api as any,
): T {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc.makeApiClient(Api as any) as T;
}

/** Polls until `probe` answers something other than undefined. */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise(r => setTimeout(r, 20));
  }
}

function stack(name: string, extra: Record<string, unknown> = {}): StackSpec {
  const result = validateStackSpec({
    name,
    environment: 'dev',
    owner: 'group:default/team-a',
    aws: { accountId: '123456789012', region: 'us-east-1' },
    resources: {
      network: { cidr: '10.0.0.0/16' },
      database: {},
      secrets: { generated: ['SESSION_KEY'], rotationDays: 30 },
      cluster: {},
      app: {
        image: 'ghcr.io/acme/shop:1.0.0',
        replicas: 2,
        env: { DB_HOST: '${database.endpoint}', DB_PORT: '${database.port}' },
        secretEnv: {
          DB_PASSWORD: 'database.password',
          SESSION_KEY: 'SESSION_KEY',
        },
      },
    },
    ...extra,
  });
  if (!result.valid) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

/** The scaffolder's checkpoint semantics: successes are kept across runs, failures are not. */
function checkpointStore(): Checkpoint & {
  values: Map<string, ResourceOutputs>;
} {
  const values = new Map<string, ResourceOutputs>();
  const fn = (async (key: string, run: () => Promise<ResourceOutputs>) => {
    if (values.has(key)) return values.get(key);
    const v = await run();
    values.set(key, v);
    return v;
  }) as Checkpoint & { values: Map<string, ResourceOutputs> };
  fn.values = values;
  return fn;
}

describe('provisionStack with the AWS provider against the sandbox', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;
  const credentials = async (accountId: string) => async () => ({
    accessKeyId: `AKIA${accountId}`,
    secretAccessKey: 'sandbox',
  });

  beforeEach(async () => {
    sandbox = await startSandbox({ durations, seed: 7 });
    provider = new AwsProvider({
      clients: new AwsClientFactory({
        credentials,
        endpoint: sandbox.url,
        retry: { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 100 },
      }),
      pollIntervalMs: 20,
    });
  });
  afterEach(() => sandbox.stop());

  /** A secret's value as Secrets Manager keeps it in the sandbox. */
  const secretValue = async (SecretId: string) =>
    (
      await new SecretsManagerClient({
        endpoint: sandbox.url,
        region: 'us-east-1',
        credentials: await credentials('123456789012'),
      }).send(new GetSecretValueCommand({ SecretId }))
    ).SecretString!;
  const inspect = async () =>
    (await (await fetch(`${sandbox.url}/__sandbox/resources`)).json()) as {
      total: number;
      counts: Record<string, number>;
    };
  const run = (
    spec: StackSpec,
    events: ProvisioningEvent[],
    opts: {
      checkpoint?: Checkpoint;
      signal?: AbortSignal;
      provider?: CloudProvider;
      runId?: string;
    } = {},
  ) =>
    provisionStack({
      spec,
      runId: opts.runId ?? `task-1_${spec.name}-${spec.environment}`,
      provider: opts.provider ?? provider,
      checkpoint: opts.checkpoint ?? checkpointStore(),
      signal: opts.signal,
      onEvent: e => events.push(e),
    });
  const interval = (events: ProvisioningEvent[], resource: string) => {
    const of = events.filter(e => e.resource === resource);
    return [
      Date.parse(of.find(e => e.status === 'creating')!.at),
      Date.parse(of.find(e => e.status === 'ready')!.at),
    ];
  };

  it('provisions network, database, secrets, cluster and app, passing outputs along', async () => {
    const events: ProvisioningEvent[] = [];
    const outputs = await run(stack('shop'), events);

    expect(outputs.network).toMatchObject({
      vpcId: expect.stringMatching(/^vpc-/),
      subnetIds: [expect.any(String), expect.any(String)],
    });
    expect(outputs.database).toMatchObject({
      instanceId: 'shop-dev-db',
      port: 5432,
      endpoint: expect.stringContaining('shop-dev-db'),
    });
    expect(outputs.secrets).toMatchObject({
      databaseSecretArn: expect.stringContaining('konductor/shop-dev/database'),
    });
    expect(outputs.cluster).toMatchObject({
      clusterName: 'shop-dev',
      endpoint: expect.stringContaining('/k8s/'),
    });
    expect(outputs.app).toEqual({
      namespace: 'shop-dev',
      url: 'https://shop-dev.apps.konductor.local',
    });
    expect((await inspect()).counts).toEqual({
      'ec2/vpc': 1,
      'ec2/subnet': 2,
      'ec2/security-group': 2,
      'rds/db-subnet-group': 1,
      'rds/db-instance': 1,
      'secretsmanager/secret': 2,
      'eks/cluster': 1,
      'eks/nodegroup': 1,
      'kubernetes/namespace': 1,
      'kubernetes/secret': 1,
      'kubernetes/deployment': 1,
      'kubernetes/service': 1,
      'kubernetes/ingress': 1,
    });

    // The app got the database endpoint as plain env and the password through a Secret reference.
    const deployment = await kubeClient(
      String(outputs.cluster!.endpoint),
      k8s.AppsV1Api,
    ).readNamespacedDeployment({ name: 'shop', namespace: 'shop-dev' });
    const env = deployment.spec!.template.spec!.containers[0].env!;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'DB_HOST', value: outputs.database!.endpoint },
        { name: 'DB_PORT', value: '5432' },
        {
          name: 'DB_PASSWORD',
          valueFrom: {
            secretKeyRef: { name: 'shop-secrets', key: 'DB_PASSWORD' },
          },
        },
      ]),
    );

    // No event carries a secret value.
    const db = JSON.parse(await secretValue('konductor/shop-dev/database'));
    const session = await secretValue('konductor/shop-dev/SESSION_KEY');
    const log = JSON.stringify(events);
    expect(db.password.length).toBeGreaterThan(20);
    expect(log).not.toContain(db.password);
    expect(log).not.toContain(session);
    expect(events.at(-1)).toMatchObject({ status: 'run-succeeded' });
  });

  it('runs independent branches in parallel: the cluster does not wait for the database', async () => {
    const events: ProvisioningEvent[] = [];
    await run(stack('par'), events);
    const [dbStart, dbEnd] = interval(events, 'database');
    const [clusterStart, clusterEnd] = interval(events, 'cluster');
    expect(clusterStart).toBeLessThan(dbEnd);
    expect(dbStart).toBeLessThan(clusterEnd);
    const [, netEnd] = interval(events, 'network');
    expect(Math.max(dbStart, clusterStart)).toBeGreaterThanOrEqual(netEnd);
  });

  it('gets through throttling and 5xx injected on 30% of calls', async () => {
    sandbox.faults.add({ service: '*', kind: 'throttle', probability: 0.15 });
    sandbox.faults.add({
      service: '*',
      kind: 'server-error',
      probability: 0.15,
    });
    const outputs = await run(stack('flaky'), []);
    expect(outputs.app?.url).toBeDefined();
    const hits = sandbox.faults.list().reduce((sum, f) => sum + f.hits, 0);
    expect(hits).toBeGreaterThan(10);
    expect((await inspect()).counts['eks/cluster']).toBe(1);
  });

  it('abandons a call that gets no answer and tries it again, instead of waiting forever', async () => {
    sandbox.faults.add({
      service: 'ec2',
      operation: 'DescribeVpcs',
      kind: 'latency',
      latencyMs: 600_000,
      count: 1,
    });
    sandbox.faults.add({
      service: 'kubernetes',
      operation: 'POST Namespace',
      kind: 'latency',
      latencyMs: 600_000,
      count: 1,
    });
    const patient = new AwsProvider({
      clients: new AwsClientFactory({
        credentials,
        endpoint: sandbox.url,
        callTimeoutMs: 300,
        retry: { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 100 },
      }),
      pollIntervalMs: 20,
    });
    const spec = stack('hung', {
      resources: {
        network: { cidr: '10.0.0.0/16' },
        cluster: {},
        app: { image: 'ghcr.io/acme/shop:1.0.0' },
      },
    });
    const outputs = await run(spec, [], { provider: patient });
    expect(outputs.app?.namespace).toBe('hung-dev');
    expect(sandbox.faults.list().map(f => f.hits)).toEqual([1, 1]);
  }, 15_000);

  it('rolls back everything after a permanent failure of the cluster, with the original error', async () => {
    sandbox.faults.add({
      service: 'eks',
      operation: 'CreateCluster',
      kind: 'fail',
    });
    const events: ProvisioningEvent[] = [];
    const doomed = stack('doomed');
    doomed.resources.network!.natGateways = 1;
    const error = await run(doomed, events).catch(e => e);
    expect(error).toBeInstanceOf(StackProvisioningError);
    expect(error.message).toMatch(/EKS cluster doomed-dev failed to create/);
    expect(error.message).toMatch(/Rolled back: /);
    const started = events
      .filter(e => e.status === 'creating')
      .map(e => e.resource!);
    expect(started).toEqual(
      expect.arrayContaining(['network', 'database', 'cluster']),
    );
    expect(started).not.toContain('app');
    expect(error.rolledBack.sort()).toEqual([...new Set(started)].sort());
    expect(
      events.filter(e => e.status === 'skipped').map(e => e.resource),
    ).toContain('app');
    expect((await inspect()).total).toBe(0);
  });

  it('builds outbound internet through NAT gateways, destroys all of it, and builds it again', async () => {
    const spec = stack('egress');
    spec.resources = {
      network: {
        kind: 'network',
        cidr: '10.8.0.0/16',
        availabilityZones: 3,
        natGateways: 2,
      },
    };
    const outputs = await run(spec, []);
    expect(outputs.network).toMatchObject({
      subnetIds: expect.any(Array),
      publicSubnetIds: expect.any(Array),
      natGatewayIds: [
        expect.stringMatching(/^nat-/),
        expect.stringMatching(/^nat-/),
      ],
    });
    expect((await inspect()).counts).toEqual({
      'ec2/vpc': 1,
      'ec2/subnet': 6,
      'ec2/internet-gateway': 1,
      'ec2/elastic-ip': 2,
      'ec2/nat-gateway': 2,
      'ec2/route-table': 4,
    });
    // A re-run adopts everything instead of creating a second set.
    await run(spec, []);
    expect((await inspect()).counts['ec2/nat-gateway']).toBe(2);
    await destroyStack({
      spec,
      provider,
      runId: 'destroy-1',
      onEvent: () => {},
    });
    expect((await inspect()).total).toBe(0);
    // The same stack again: client tokens are the attempt's own, not the stack's, so EC2 does not
    // answer with the deleted gateways or refuse the new subnets as a parameter mismatch.
    const again = await run(spec, [], { runId: 'task-2_egress-dev' });
    expect(again.network!.natGatewayIds).toHaveLength(2);
    expect(again.network!.natGatewayIds).not.toEqual(
      outputs.network!.natGatewayIds,
    );
    expect((await inspect()).counts['ec2/nat-gateway']).toBe(2);
  });

  it('retains what it created when onFailure is retain', async () => {
    sandbox.faults.add({
      service: 'eks',
      operation: 'CreateCluster',
      kind: 'fail',
    });
    const error = await run(
      { ...stack('kept'), onFailure: 'retain' },
      [],
    ).catch(e => e);
    expect(error.retained).toEqual(
      expect.arrayContaining(['cluster', 'database', 'network']),
    );
    expect(error.retained).not.toContain('app');
    expect((await inspect()).counts['eks/cluster']).toBe(1);
  });

  it('resumes a run killed mid-way from its checkpoints without creating anything twice', async () => {
    const checkpoint = checkpointStore();
    // A provider whose process "dies" once the database is ready: every later call hangs forever.
    let dead = false;
    const dying: CloudProvider = {
      id: 'aws',
      kinds: provider.kinds,
      create: async ctx => {
        if (dead) return new Promise(() => {});
        const out = await provider.create(ctx);
        if (ctx.name === 'database') dead = true;
        return dead && ctx.name !== 'database' ? new Promise(() => {}) : out;
      },
      exists: (ctx, o) => provider.exists(ctx, o),
      destroy: ctx => provider.destroy(ctx),
    };
    const firstEvents: ProvisioningEvent[] = [];
    void run(stack('resume'), firstEvents, { checkpoint, provider: dying });
    await new Promise<void>(resolve => {
      const timer = setInterval(() => {
        if (checkpoint.values.has('konductor.stack.resume-dev.database')) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    expect([...checkpoint.values.keys()]).not.toContain(
      'konductor.stack.resume-dev.cluster',
    );

    const events: ProvisioningEvent[] = [];
    const outputs = await run(stack('resume'), events, { checkpoint });
    expect(outputs.app?.url).toBeDefined();
    expect(
      events
        .filter(
          e =>
            e.status === 'ready' && /resumed from checkpoint/.test(e.message),
        )
        .map(e => e.resource)
        .sort(),
    ).toEqual(['database', 'network']);
    const { counts } = await inspect();
    expect(counts).toMatchObject({
      'ec2/vpc': 1,
      'ec2/subnet': 2,
      'rds/db-instance': 1,
      'eks/cluster': 1,
      'eks/nodegroup': 1,
      'kubernetes/deployment': 1,
    });
  });

  it('applies again what depends on a re-created resource instead of trusting its checkpoint', async () => {
    const checkpoint = checkpointStore();
    const spec = stack('renew');
    const first = await run(spec, [], { checkpoint });
    // The database disappears behind the stack's back; the checkpoints stay.
    const rds = new RDSClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
    await rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: String(first.database!.instanceId),
        SkipFinalSnapshot: true,
      }),
    );
    await eventually(async () =>
      (await inspect()).counts['rds/db-instance'] ? undefined : true,
    );

    const events: ProvisioningEvent[] = [];
    await run(spec, events, { checkpoint });
    const ready = (kind: string) =>
      events.find(e => e.resource === kind && e.status === 'ready')!.message;
    expect(ready('network')).toMatch(/resumed from checkpoint/);
    expect(ready('cluster')).toMatch(/resumed from checkpoint/);
    for (const kind of ['database', 'secrets', 'app'])
      expect(ready(kind)).not.toMatch(/resumed from checkpoint/);
    expect(events.map(e => e.message)).toContain(
      'secrets: checkpointed, but database changed since: applying it again',
    );

    // The app's Secret holds the password the new database has, the one Secrets Manager keeps.
    const kept = JSON.parse(
      await secretValue('konductor/renew-dev/database'),
    ).password;
    const appSecret = await kubeClient(
      String(first.cluster!.endpoint),
    ).readNamespacedSecret({ name: 'renew-secrets', namespace: 'renew-dev' });
    expect(Buffer.from(appSecret.data!.DB_PASSWORD, 'base64').toString()).toBe(
      kept,
    );
    expect((await inspect()).counts).toMatchObject({
      'rds/db-instance': 1,
      'eks/cluster': 1,
      'kubernetes/deployment': 1,
    });
  });

  it("ensures a security group's rule on every attempt, also on a group an earlier attempt left without it", async () => {
    const spec = { ...stack('rules'), onFailure: 'retain' as const };
    spec.resources = {
      network: spec.resources.network,
      database: spec.resources.database,
    };
    // The first attempt creates the group, then the rule is refused: the group stays without it.
    sandbox.faults.add({
      service: 'ec2',
      operation: 'AuthorizeSecurityGroupIngress',
      kind: 'quota',
      count: 1,
    });
    await expect(run(spec, [])).rejects.toThrow(/database/);
    const ec2 = new EC2Client({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
    const group = async () =>
      (
        await ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [{ Name: 'group-name', Values: ['rules-dev-db'] }],
          }),
        )
      ).SecurityGroups ?? [];
    expect((await group())[0].IpPermissions ?? []).toEqual([]);

    await run(spec, [], { runId: 'task-2_rules-dev' });
    const groups = await group();
    expect(groups).toHaveLength(1);
    expect(groups[0].IpPermissions).toEqual([
      expect.objectContaining({ FromPort: 5432, ToPort: 5432 }),
    ]);
  });

  it('stops on cancellation and rolls back', async () => {
    const controller = new AbortController();
    const events: ProvisioningEvent[] = [];
    const running = run(stack('cancelled'), events, {
      signal: controller.signal,
    });
    await new Promise<void>(resolve => {
      const timer = setInterval(() => {
        if (
          events.some(e => e.resource === 'cluster' && e.status === 'waiting')
        ) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    controller.abort();
    const error = await running.catch(e => e);
    expect(error.cancelled).toBe(true);
    expect(error.message).toMatch(/was cancelled/);
    expect(
      events.some(e => e.resource === 'app' && e.status === 'creating'),
    ).toBe(false);
    expect(events.at(-1)?.status).toBe('run-cancelled');
    expect((await inspect()).total).toBe(0);
  });

  it('destroys a stack completely, and a second destroy is a no-op', async () => {
    await run(stack('gone'), []);
    const events: ProvisioningEvent[] = [];
    const deleted = await destroyStack({
      spec: stack('gone'),
      provider,
      runId: 'destroy-1',
      onEvent: e => events.push(e),
    });
    expect(deleted).toEqual([
      'app',
      'secrets',
      'cluster',
      'database',
      'network',
    ]);
    expect((await inspect()).total).toBe(0);
    await expect(
      destroyStack({
        spec: stack('gone'),
        provider,
        runId: 'destroy-2',
        onEvent: () => {},
      }),
    ).resolves.toHaveLength(5);
  });

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
            {
              spec: first,
              provider,
              runId: 'task-3_reuse-dev',
              onEvent: () => {},
            },
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
