import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DeleteDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DeleteSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ProvisioningEvent } from '@konductor/plugin-provisioning-common';
import { destroyStack } from './destroy';
import type { CloudProvider } from './provider';
import { Sandbox } from '@konductor/sandbox';
import { AwsProvider } from './aws/AwsProvider';
import {
  checkpointStore,
  credentials,
  engineHelpers,
  eventually,
  kubeClient,
  stack,
  startEngineSandbox,
} from './__testUtils__/engineSandbox';

describe('provisionStack resumes, re-applies, cancels and destroys against the sandbox', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;
  beforeEach(async () => {
    ({ sandbox, provider } = await startEngineSandbox());
  });
  afterEach(() => sandbox.stop());
  const { secretValue, inspect, run } = engineHelpers(
    () => sandbox,
    () => provider,
  );

  it('resumes a run killed mid-way from its checkpoints without creating anything twice', async () => {
    const checkpoint = checkpointStore();
    // A provider whose process "dies" once the database is ready: every later call hangs forever.
    let dead = false;
    const dying: CloudProvider = {
      id: 'aws',
      target: provider.target,
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
    ).toEqual(['database', 'network', 'secrets']);
    const { counts } = await inspect();
    expect(counts).toMatchObject({
      'ec2/vpc': 1,
      'ec2/subnet': 4,
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
    const second = await run(spec, events, { checkpoint });
    const ready = (kind: string) =>
      events.find(e => e.resource === kind && e.status === 'ready')!.message;
    // What does not depend on the database stands; what does is applied again.
    for (const kind of ['network', 'cluster', 'secrets'])
      expect(ready(kind)).toMatch(/resumed from checkpoint/);
    for (const kind of ['database', 'app'])
      expect(ready(kind)).not.toMatch(/resumed from checkpoint/);
    expect(events.map(e => e.message)).toContain(
      'app: checkpointed, but database changed since: applying it again',
    );

    // The app's Secret holds the password of the new database, as RDS keeps it.
    expect(second.database!.masterUserSecretArn).not.toBe(
      first.database!.masterUserSecretArn,
    );
    const kept = JSON.parse(
      await secretValue(String(second.database!.masterUserSecretArn)),
    ).password;
    const appSecret = await (
      await kubeClient(sandbox, first.cluster!)
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
      'cluster',
      'database',
      'secrets',
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

  it('provisions again right after a destroy, waiting out the secret names Secrets Manager frees asynchronously, and restores one scheduled for deletion', async () => {
    const spec = stack('again');
    await run(spec, []);
    await destroyStack({
      spec,
      provider,
      runId: 'destroy-1',
      onEvent: () => {},
    });
    // Force-deleted moments ago: on AWS the names are freed asynchronously.
    const events: ProvisioningEvent[] = [];
    const outputs = await run(spec, events, { runId: 'task-2_again-dev' });
    expect(events.map(e => e.message).join('\n')).toMatch(
      /secret konductor\/again-dev\/SESSION_KEY: name still being freed after a deletion/,
    );
    expect(outputs.secrets!.secretArns).toHaveLength(1);

    // A person schedules the session key's deletion (a recovery window); a re-run restores it.
    const SecretId = 'konductor/again-dev/SESSION_KEY';
    const before = await secretValue(SecretId);
    const sm = new SecretsManagerClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
    await sm.send(
      new DeleteSecretCommand({ SecretId, RecoveryWindowInDays: 7 }),
    );
    await run(spec, [], { runId: 'task-3_again-dev' });
    expect(await secretValue(SecretId)).toBe(before);
  }, 30_000);

  it('creates the app again in a namespace deleted moments before, once it has terminated', async () => {
    const checkpoint = checkpointStore();
    const spec = stack('ns');
    const first = await run(spec, [], { checkpoint });
    const core = await kubeClient(sandbox, first.cluster!);
    await core.deleteNamespace({ name: 'ns-dev' });
    expect((await core.readNamespace({ name: 'ns-dev' })).status?.phase).toBe(
      'Terminating',
    );

    const events: ProvisioningEvent[] = [];
    await run(spec, events, { checkpoint });
    expect(events.map(e => e.message)).toContain(
      'app: namespace ns-dev: terminating',
    );
    const ns = await core.readNamespace({ name: 'ns-dev' });
    expect(ns.status?.phase).toBe('Active');
    expect(ns.metadata?.uid).not.toBe(undefined);
    await expect(
      core.readNamespacedSecret({
        name: 'ns-secrets',
        namespace: 'ns-dev',
      }),
    ).resolves.toBeDefined();
  }, 30_000);
});
