import type { Knex } from 'knex';
import { TestDatabases } from '@backstage/backend-test-utils';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { ProvisioningEvent } from '@konductor/plugin-provisioning-common';
import { RunStore } from './RunStore';
import { StackStore } from './StackStore';
import { StackVersionStore } from './StackVersions';
import { StackDriftStore } from './StackDrift';

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

const databaseService = (knex: Knex): DatabaseService => ({
  getClient: async () => knex,
  migrations: { skip: false },
});

const event = (
  seq: number,
  status: ProvisioningEvent['status'],
  extra: Partial<ProvisioningEvent> = {},
): ProvisioningEvent => ({
  seq,
  at: new Date(Date.UTC(2026, 10, 22, 12, 0, seq)).toISOString(),
  status,
  message: `${extra.resource ?? 'run'}: ${status}`,
  ...extra,
});

const run = (taskId: string, extra: object = {}) => ({
  taskId,
  stackId: `${taskId}-dev`,
  stackName: taskId,
  environment: 'dev' as const,
  accountId: '123456789012',
  region: 'us-east-1',
  owner: 'group:default/payments',
  complianceLevel: 'high' as const,
  resources: [
    { resource: 'network' as const, dependsOn: [] },
    { resource: 'database' as const, dependsOn: ['network' as const] },
  ],
  ...extra,
});

describe.each(databases.eachSupportedId())('RunStore on %s', databaseId => {
  let store: RunStore;
  let knex: Knex;
  beforeAll(async () => {
    knex = await databases.init(databaseId);
    store = await RunStore.create(databaseService(knex));
  });

  it('registers a run once per task and stack, with its graph queued', async () => {
    const first = await store.createRun(run('shop'));
    const again = await store.createRun(run('shop'));
    expect(first.created).toBe(true);
    expect(again).toEqual({ run: first.run, created: false });
    expect(first.run).toMatchObject({
      status: 'running',
      lastSeq: 0,
      stackId: 'shop-dev',
      stackRef: '123456789012/us-east-1/shop-dev',
      complianceLevel: 'high',
    });
    expect(await store.getResources(first.run.id)).toEqual([
      expect.objectContaining({
        resource: 'database',
        status: 'queued',
        dependsOn: ['network'],
      }),
      expect.objectContaining({
        resource: 'network',
        status: 'queued',
        dependsOn: [],
      }),
    ]);
  });

  it('appends events without gaps or duplicates, and derives resource and run state', async () => {
    const { run: r } = await store.createRun(run('log'));
    await store.appendEvents(r.id, [
      event(1, 'run-started'),
      event(2, 'creating', { resource: 'network' }),
    ]);
    // A retry of a batch that was stored, plus one new event: only the new one is appended.
    const retried = await store.appendEvents(r.id, [
      event(2, 'creating', { resource: 'network' }),
      event(3, 'ready', { resource: 'network', outputs: { vpcId: 'vpc-1' } }),
    ]);
    expect(retried.appended.map(e => e.seq)).toEqual([3]);
    await expect(
      store.appendEvents(r.id, [
        event(5, 'creating', { resource: 'database' }),
      ]),
    ).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('expected seq 4, got 5'),
    });
    expect((await store.getRun(r.id)).lastSeq).toBe(3);

    const done = await store.appendEvents(r.id, [
      event(4, 'failed', { resource: 'database', error: 'boom' }),
      event(5, 'run-failed', { error: 'boom' }),
    ]);
    expect(done.run).toMatchObject({
      status: 'failed',
      lastSeq: 5,
      finishedAt: event(5, 'run-failed').at,
    });
    expect(await store.getResources(r.id)).toEqual([
      expect.objectContaining({
        resource: 'database',
        status: 'failed',
        error: 'boom',
      }),
      expect.objectContaining({
        resource: 'network',
        status: 'ready',
        outputs: { vpcId: 'vpc-1' },
      }),
    ]);
    expect((await store.listEvents(r.id, 0)).map(e => e.seq)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect((await store.listEvents(r.id, 3)).map(e => e.status)).toEqual([
      'failed',
      'run-failed',
    ]);
    await expect(
      store.appendEvents('nope', [event(1, 'run-started')]),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('lists runs with filters and paging', async () => {
    for (const [i, env] of ['dev', 'staging', 'prod'].entries()) {
      await store.createRun(
        run(`billing-${i}`, {
          environment: env,
          stackId: `billing-${i}-${env}`,
          owner: 'group:default/billing',
        }),
      );
    }
    const billing = await store.listRuns({
      owner: 'group:default/billing',
      limit: 2,
      offset: 0,
    });
    expect(billing.totalCount).toBe(3);
    expect(billing.items).toHaveLength(2);
    expect(
      (
        await store.listRuns({
          owner: 'group:default/billing',
          limit: 2,
          offset: 2,
        })
      ).items,
    ).toHaveLength(1);
    expect(
      (
        await store.listRuns({ environment: 'prod', limit: 10, offset: 0 })
      ).items.map(r => r.stackName),
    ).toEqual(['billing-2']);
    expect(
      (
        await store.listRuns({
          stackId: 'billing-1-staging',
          limit: 10,
          offset: 0,
        })
      ).items.map(r => r.stackName),
    ).toEqual(['billing-1']);
    expect(
      (
        await store.listRuns({ text: 'BILLING-1', limit: 10, offset: 0 })
      ).items.map(r => r.stackName),
    ).toEqual(['billing-1']);
    expect(
      (
        await store.listRuns({ status: 'failed', limit: 10, offset: 0 })
      ).items.map(r => r.stackName),
    ).toEqual(['log']);
  });

  it('lists only the runs a conditional permission decision allows', async () => {
    for (const [owner, env] of [
      ['group:default/team-a', 'dev'],
      ['group:default/team-a', 'prod'],
      ['group:default/team-b', 'dev'],
    ]) {
      const name = `${owner.split('/')[1]}-${env}`;
      await store.createRun(
        run(name, { owner, environment: env, stackId: `${name}-${env}` }),
      );
    }
    const names = async (
      allowed: Parameters<RunStore['listRuns']>[0]['allowed'],
    ) =>
      (
        await store.listRuns({ text: 'team-', allowed, limit: 10, offset: 0 })
      ).items
        .map(r => r.stackName)
        .sort();
    const ownedByA = {
      column: 'owner' as const,
      values: ['group:default/team-a'],
    };
    expect(await names(ownedByA)).toEqual(['team-a-dev', 'team-a-prod']);
    expect(
      await names({
        allOf: [ownedByA, { not: { column: 'environment', values: ['prod'] } }],
      }),
    ).toEqual(['team-a-dev']);
    expect(
      await names({
        anyOf: [
          { column: 'owner', values: ['group:default/team-b'] },
          { column: 'environment', values: ['prod'] },
        ],
      }),
    ).toEqual(['team-a-prod', 'team-b-dev']);
    // A user with no claims matches nothing.
    expect(await names({ column: 'owner', values: [] })).toEqual([]);
  });

  it("lists each stack's latest run with its resources, a page at a time, as a decision allows", async () => {
    const owner = 'group:default/latest-team';
    const older = await store.createRun(
      run('cart-1', { owner, stackId: 'cart-dev', stackName: 'cart' }),
    );
    await store.appendEvents(older.run.id, [
      event(1, 'ready', { resource: 'network', outputs: { vpcId: 'vpc-1' } }),
    ]);
    // A run a second later replaces it as the stack's latest, with its own resources.
    const newer = await store.createRun(
      run('cart-2', {
        owner,
        stackId: 'cart-dev',
        stackName: 'cart',
        resources: [{ resource: 'network', dependsOn: [] }],
      }),
    );
    await knex('runs')
      .where({ id: newer.run.id })
      .update({ created_at: new Date(Date.now() + 1000) });
    await store.createRun(
      run('basket', { owner, stackId: 'basket-dev', stackName: 'basket' }),
    );
    await store.createRun(
      run('elsewhere', { owner: 'group:default/other-team' }),
    );

    const allowed = { column: 'owner' as const, values: [owner] };
    const first = await store.listLatestRuns({ allowed, limit: 1, offset: 0 });
    const second = await store.listLatestRuns({ allowed, limit: 1, offset: 1 });
    expect(first.totalCount).toBe(2);
    expect(first.items.map(i => i.run.id)).toEqual([
      expect.stringContaining('basket'),
    ]);
    expect(second.items.map(i => i.run.id)).toEqual([newer.run.id]);
    expect(second.items[0].resources).toEqual([
      expect.objectContaining({ resource: 'network', status: 'queued' }),
    ]);
    expect(first.items[0].resources.map(r => r.resource)).toEqual([
      'database',
      'network',
    ]);
    const everyone = await store.listLatestRuns({ limit: 500, offset: 0 });
    expect(everyone.items.map(i => i.run.stackId)).toEqual(
      [...new Set(everyone.items.map(i => i.run.stackId))].sort(),
    );
    expect(everyone.totalCount).toBe(everyone.items.length);
  });

  it("records a succeeded run's spec as its stack's next version with what it changed; a failed or unchanged run records none", async () => {
    const key = {
      accountId: '123456789012',
      region: 'us-east-1',
      stackId: 'versioned-dev',
    };
    const spec = (instanceClass: string, extra: object = {}) => ({
      name: 'versioned',
      environment: 'dev',
      resources: { database: { kind: 'database', instanceClass, ...extra } },
    });
    const finish = async (
      taskId: string,
      desired: object,
      end: ProvisioningEvent['status'],
    ) => {
      const { run: r } = await store.createRun(
        run('versioned', {
          taskId,
          createdBy: `user:default/${taskId}`,
          spec: desired,
        }),
      );
      await store.appendEvents(r.id, [event(1, 'run-started'), event(2, end)]);
      return r.id;
    };
    const stacks = new StackStore(knex);
    await stacks.claim({
      accountId: key.accountId,
      region: key.region,
      name: 'versioned',
      environment: 'dev',
      owner: 'group:default/payments',
    });
    const versions = new StackVersionStore(knex);
    const first = await finish('t1', spec('db.t4g.micro'), 'run-succeeded');
    await finish('t2', spec('db.t4g.large'), 'run-failed');
    await finish('t3', spec('db.t4g.micro'), 'run-succeeded');
    const grown = await finish(
      't4',
      spec('db.t4g.small', { multiAz: true }),
      'run-succeeded',
    );
    expect(await versions.list(key)).toEqual([
      {
        version: 2,
        runId: grown,
        createdBy: 'user:default/t4',
        createdAt: expect.any(String),
        spec: spec('db.t4g.small', { multiAz: true }),
        changes: [
          {
            path: 'resources.database.instanceClass',
            before: 'db.t4g.micro',
            after: 'db.t4g.small',
          },
          { path: 'resources.database.multiAz', after: true },
        ],
      },
      expect.objectContaining({
        version: 1,
        runId: first,
        createdBy: 'user:default/t1',
        changes: [],
      }),
    ]);
    // A run without a spec (a destroy) records nothing.
    const destroy = await store.createRun(run('versioned', { taskId: 't5' }));
    await store.appendEvents(destroy.run.id, [event(1, 'run-succeeded')]);
    expect(await versions.list(key)).toHaveLength(2);

    // What the drift scan reads: the last version of each stack, with its owner.
    const now = new Date();
    expect(
      await versions.latest({ offset: 0, limit: 10, ...key }, now),
    ).toEqual({
      totalCount: 1,
      items: [
        {
          ...key,
          owner: 'group:default/payments',
          version: 2,
          spec: spec('db.t4g.small', { multiAz: true }),
          running: false,
        },
      ],
    });
    // A run holding the stack's lease: the scan leaves it for later.
    await stacks.acquireLease(key, 'task-9', 60_000, now);
    expect(
      (await versions.latest({ offset: 0, limit: 10 }, now)).items.find(
        s => s.stackId === key.stackId,
      )?.running,
    ).toBe(true);
    // What the scans found, with when each drift was first seen.
    const drift = new StackDriftStore(knex);
    const scan = (at: string, actual: string) =>
      drift.report(key, {
        version: 2,
        scannedAt: at,
        resources: [
          {
            resource: 'database',
            kind: 'database',
            state: 'drifted',
            attributes: [
              { field: 'instanceClass', desired: 'db.t4g.small', actual },
            ],
          },
        ],
      });
    await drift.requestScan(key, new Date('2026-12-03T09:59:00Z'));
    await scan('2026-12-03T10:00:00.000Z', 'db.t4g.medium');
    const later = await scan('2026-12-03T11:00:00.000Z', 'db.t4g.large');
    expect(later).toEqual({
      version: 2,
      scannedAt: '2026-12-03T11:00:00.000Z',
      resources: [
        expect.objectContaining({
          attributes: [
            {
              field: 'instanceClass',
              desired: 'db.t4g.small',
              actual: 'db.t4g.large',
              firstSeenAt: '2026-12-03T10:00:00.000Z',
            },
          ],
        }),
      ],
    });

    // Destroyed and released, the stack's versions and drift go with it: a new owner starts afresh.
    expect(await stacks.release(key)).toBe(true);
    expect(await versions.list(key)).toEqual([]);
    expect(await drift.get(key)).toBeUndefined();
  });
});
