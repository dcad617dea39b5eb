import {
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as k8s from '@kubernetes/client-node';
import { evaluateStackSpec } from '@konductor/plugin-compliance-common';
import {
  parseStackSpec,
  planChange,
  ProvisioningEvent,
  validateStackSpec,
} from '@konductor/plugin-provisioning-common';
import {
  AwsClientFactory,
  AwsProvider,
  CloudProvider,
  destroyStack,
  provisionStack,
  scanDrift,
} from '@konductor/plugin-provisioning-node';
import {
  checkpointStore,
  credentials,
  durations,
  kubeClient,
  dyingProvider,
  sandboxCounts,
  sandboxProvider,
} from '@konductor/plugin-provisioning-node/testUtils';
import { startSandbox, Sandbox, STARTER_IMAGE } from '@konductor/sandbox';
import { CACHE_CHECKS } from './cache';
import { cacheKind } from './module';

describe('the cache kind against the sandbox', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;

  beforeEach(async () => {
    sandbox = await startSandbox({ seed: 5, durations });
    provider = sandboxProvider(sandbox, [cacheKind]);
  });
  afterEach(() => sandbox.stop());

  const client = async <T>(Client: new (config: any) => T) =>
    new Client({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
  const counts = () => sandboxCounts(sandbox);
  const spec = (
    resources: Record<string, object> = {},
    owner = 'group:default/team-a',
  ) =>
    parseStackSpec(
      {
        name: 'shop',
        environment: 'dev',
        owner,
        target: {
          provider: 'aws',
          accountId: '123456789012',
          region: 'us-east-1',
        },
        resources: {
          network: { cidr: '10.0.0.0/16' },
          sessions: { kind: 'cache', replicas: 1 },
          ...resources,
        },
      },
      provider.kinds,
    );
  const run = (
    s = spec(),
    options: {
      runId?: string;
      events?: ProvisioningEvent[];
      provider?: CloudProvider;
      checkpoint?: ReturnType<typeof checkpointStore>;
    } = {},
  ) =>
    provisionStack({
      spec: s,
      provider: options.provider ?? provider,
      runId: options.runId ?? 'task-1_shop-dev',
      checkpoint: options.checkpoint ?? checkpointStore(),
      onEvent: e => options.events?.push(e),
    });
  const token = async () =>
    (
      await (
        await client(SecretsManagerClient)
      ).send(
        new GetSecretValueCommand({
          SecretId: 'konductor/shop-dev/sessions/auth-token',
        }),
      )
    ).SecretString!;

  it('creates an encrypted cache whose AUTH token only Secrets Manager and the app receive', async () => {
    const events: ProvisioningEvent[] = [];
    const outputs = await run(
      spec({
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: {},
        app: {
          image: STARTER_IMAGE,
          env: { REDIS_HOST: '${sessions.primaryEndpoint}' },
          secretEnv: { REDIS_URL: 'sessions.url' },
        },
      }),
      { events },
    );
    const group = (
      await (
        await client(ElastiCacheClient)
      ).send(
        new DescribeReplicationGroupsCommand({
          ReplicationGroupId: 'shop-dev-sessions',
        }),
      )
    ).ReplicationGroups![0];
    expect(group).toMatchObject({
      Status: 'available',
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      AuthTokenEnabled: true,
      AutomaticFailover: 'enabled',
      MultiAZ: 'enabled',
      MemberClusters: ['shop-dev-sessions-001', 'shop-dev-sessions-002'],
    });
    expect(outputs.sessions).toEqual({
      replicationGroupId: 'shop-dev-sessions',
      arn: group.ARN,
      primaryEndpoint: group.NodeGroups![0].PrimaryEndpoint!.Address,
      readerEndpoint: group.NodeGroups![0].ReaderEndpoint!.Address,
      port: 6379,
      authSecretArn: expect.stringContaining(
        ':secret:konductor/shop-dev/sessions/auth-token',
      ),
    });

    // The app waited for the cache, and got its URL (with the token) through its Secret.
    const at = (resource: string, status: string) =>
      events.findIndex(e => e.resource === resource && e.status === status);
    expect(at('sessions', 'ready')).toBeLessThan(at('app', 'creating'));
    const secret = await (
      await kubeClient(sandbox, outputs.cluster, k8s.CoreV1Api)
    ).readNamespacedSecret({ name: 'shop-secrets', namespace: 'shop-dev' });
    const secretToken = await token();
    expect(secretToken.length).toBeGreaterThanOrEqual(16);
    const url =
      secret.stringData?.REDIS_URL ??
      Buffer.from(secret.data!.REDIS_URL, 'base64').toString();
    expect(url).toBe(
      `rediss://:${secretToken}@${outputs.sessions.primaryEndpoint}:6379`,
    );
    // Never in an event or an output.
    expect(JSON.stringify([events, outputs])).not.toContain(secretToken);
  });

  it('scales the cache and changes its snapshots in place on a re-run; refuses other replicas; a scaling ElastiCache ends without making fails the run', async () => {
    await run();
    const describe = async () =>
      (
        await (
          await client(ElastiCacheClient)
        ).send(
          new DescribeReplicationGroupsCommand({
            ReplicationGroupId: 'shop-dev-sessions',
          }),
        )
      ).ReplicationGroups![0];
    const next = (sessions: object) =>
      spec({ sessions: { kind: 'cache', replicas: 1, ...sessions } });

    // The plan: the node type in place (interrupting briefly), the snapshots too.
    const plan = planChange(
      spec(),
      next({ nodeType: 'cache.t4g.small', snapshotRetentionDays: 7 }),
      1,
      provider.kinds,
    );
    expect(plan.refusals).toEqual([]);
    expect(plan.resources.find(r => r.resource === 'sessions')).toMatchObject({
      action: 'update',
      interrupts: true,
      monthlyCostBefore: 23.76,
      monthlyCostAfter: 47.12,
    });
    const events: ProvisioningEvent[] = [];
    await run(next({ nodeType: 'cache.t4g.small', snapshotRetentionDays: 7 }), {
      runId: 'task-2_shop-dev',
      events,
    });
    expect(events.map(e => e.detail)).toContain(
      'ElastiCache replication group shop-dev-sessions: modifying CacheNodeType, SnapshotRetentionLimit',
    );
    expect(await describe()).toMatchObject({
      Status: 'available',
      CacheNodeType: 'cache.t4g.small',
      SnapshotRetentionLimit: 7,
    });

    // Another number of replicas: refused, in the plan and by the handler, nothing changed.
    expect(
      planChange(spec(), next({ replicas: 2 }), 1, provider.kinds).refusals,
    ).toEqual([
      'resources.sessions.replicas: Konductor does not add or remove replicas in place yet',
    ]);
    const refused = await run(
      next({
        replicas: 2,
        nodeType: 'cache.t4g.small',
        snapshotRetentionDays: 7,
      }),
      { runId: 'task-3_shop-dev' },
    ).catch(e => e);
    expect(refused.message).toContain(
      'resources.sessions.replicas is 1, not 2 (Konductor does not add or remove replicas in place yet)',
    );

    // ElastiCache takes the scaling, then ends it without it: the run says so, the cache stays.
    sandbox.faults.add({
      service: 'elasticache',
      operation: 'ModifyReplicationGroup',
      kind: 'fail',
      count: 1,
    });
    const failed = await run(
      next({ nodeType: 'cache.t4g.medium', snapshotRetentionDays: 7 }),
      { runId: 'task-4_shop-dev' },
    ).catch(e => e);
    expect(failed.message).toContain(
      'ElastiCache ended the scaling of ElastiCache replication group shop-dev-sessions without making it: resources.sessions.nodeType is cache.t4g.small, not cache.t4g.medium',
    );
    expect(await describe()).toMatchObject({
      Status: 'available',
      CacheNodeType: 'cache.t4g.small',
    });

    // A drift scan reads it back: as the last spec says, then, against the first, its new size
    // and snapshots are drift.
    const scan = async (s: ReturnType<typeof spec>) =>
      (await scanDrift({ spec: s, version: 2, provider })).resources.find(
        r => r.resource === 'sessions',
      );
    expect(
      await scan(
        next({ nodeType: 'cache.t4g.small', snapshotRetentionDays: 7 }),
      ),
    ).toMatchObject({ state: 'in-sync' });
    expect(
      (await scan(spec()))!.attributes.map(a => [a.field, a.desired, a.actual]),
    ).toEqual([
      ['nodeType', 'cache.t4g.micro', 'cache.t4g.small'],
      ['snapshotRetentionDays', 1, 7],
    ]);
  });

  it('resumes a run killed while the cache was creating, with the token it stored', async () => {
    sandbox.faults.add({
      service: 'elasticache',
      kind: 'throttle',
      probability: 0.3,
    });
    const checkpoint = checkpointStore();
    // A backend that dies once the replication group exists: its calls stop, the run never ends.
    const { provider: dying, kill } = dyingProvider(provider, 'sessions');
    void run(spec(), { provider: dying, checkpoint });
    for (;;) {
      if ((await counts())['elasticache/replication-group']) break;
      await new Promise(r => setTimeout(r, 10));
    }
    kill();
    const stored = await token();

    const events: ProvisioningEvent[] = [];
    const outputs = await run(spec(), { checkpoint, events });
    expect(
      events
        .filter(e => /resumed from checkpoint/.test(e.message))
        .map(e => e.resource),
    ).toEqual(['network']);
    expect(outputs.sessions.replicationGroupId).toBe('shop-dev-sessions');
    // Nothing created twice; the group was adopted with the token the first attempt stored.
    expect(await counts()).toMatchObject({
      'elasticache/replication-group': 1,
      'elasticache/cache-subnet-group': 1,
      'secretsmanager/secret': 1,
    });
    expect(await token()).toBe(stored);
  });

  it("refuses another owner's cache without touching it", async () => {
    await run();
    const error = await run(spec({}, 'group:default/team-b'), {
      runId: 'task-2_shop-dev',
    }).catch(e => e);
    expect(error.message).toMatch(/owned by group:default\/team-a/);
    expect(await counts()).toMatchObject({
      'elasticache/replication-group': 1,
      'secretsmanager/secret': 1,
    });
  });

  it('rolls back what the run created when the replication group fails to create', async () => {
    sandbox.faults.add({
      service: 'elasticache',
      operation: 'CreateReplicationGroup',
      kind: 'fail',
    });
    const error = await run().catch(e => e);
    expect(error.message).toMatch(/create-failed/);
    expect(error.rolledBack).toEqual(
      expect.arrayContaining(['sessions', 'network']),
    );
    const after = await counts();
    for (const type of [
      'elasticache/replication-group',
      'elasticache/cache-subnet-group',
      'secretsmanager/secret',
      'ec2/security-group',
      'ec2/vpc',
    ])
      expect(after[type] ?? 0).toBe(0);
  });

  it('destroys the cache, its subnet group, security group and token; again is a no-op', async () => {
    await run();
    for (const runId of ['destroy-1', 'destroy-2'])
      await destroyStack({ spec: spec(), provider, runId, onEvent: () => {} });
    expect(await counts()).toEqual({});
  });
});

describe('the cache kind in stack specs and the gate', () => {
  const provider = new AwsProvider(
    { clients: new AwsClientFactory({ credentials }) },
    [cacheKind],
  );
  const kinds = provider.kinds;
  const stack = (extra: object, env: object = {}) => ({
    name: 'shop',
    environment: 'prod',
    target: { provider: 'aws', accountId: '123456789012', region: 'us-east-1' },
    ...env,
    resources: {
      network: { cidr: '10.0.0.0/16' },
      sessions: { kind: 'cache', ...extra },
    },
  });

  it('says what to change for versions, node types, names and secrets it does not hold', () => {
    const problems = (input: object) =>
      validateStackSpec(input, kinds).problems.map(
        p => `${p.path}: ${p.message}`,
      );
    expect(problems(stack({ engineVersion: '5.0' }))).toEqual([
      'resources.sessions.engineVersion: redis 5.0 is not offered: choose one of 6.2, 7.0, 7.1',
    ]);
    expect(problems(stack({ nodeType: 'cache.x9.huge' }))[0]).toMatch(
      /^resources.sessions.nodeType: unknown node type cache.x9.huge: choose one of cache.t4g.micro/,
    );
    expect(
      problems({ ...stack({}), name: 'a-very-long-shop-name-for-caches' })[0],
    ).toMatch(/longer than the 40 ElastiCache allows/);
    expect(
      problems({
        ...stack({}),
        resources: {
          ...stack({}).resources,
          cluster: {},
          app: {
            image: STARTER_IMAGE,
            secretEnv: { REDIS_PASSWORD: 'sessions.password' },
          },
        },
      }),
    ).toEqual([
      `resources.app.secretEnv.REDIS_PASSWORD: "sessions.password": sessions holds the secrets authToken, url; it has no 'password'`,
    ]);
  });

  it('is gated by its own checks: failover for production, snapshots from moderate', () => {
    const verdict = (level: string, extra: object, environment = 'prod') =>
      evaluateStackSpec(
        parseStackSpec(
          stack(extra, { complianceLevel: level, environment }),
          kinds,
        ),
        { kinds, checks: CACHE_CHECKS },
      );
    expect(
      verdict('moderate', { snapshotRetentionDays: 0 }).violations.map(v => [
        v.checkId,
        v.controls,
        v.fields,
      ]),
    ).toEqual([
      ['cache-automatic-failover', ['CP-10'], ['resources.sessions.replicas']],
      [
        'cache-snapshots',
        ['CP-9'],
        ['resources.sessions.snapshotRetentionDays'],
      ],
    ]);
    expect(verdict('high', { replicas: 1 }).allowed).toBe(true);
    expect(verdict('moderate', {}, 'dev').allowed).toBe(true);
    expect(verdict('low', { snapshotRetentionDays: 0 }).allowed).toBe(true);
    expect(
      verdict('high', { replicas: 2 }).results.map(
        r => `${r.result.checkId}:${r.result.status}`,
      ),
    ).toEqual(
      expect.arrayContaining([
        'cache-encryption-in-transit:pass',
        'cache-auth-token:pass',
        'cache-encryption-at-rest:pass',
      ]),
    );
  });
});
