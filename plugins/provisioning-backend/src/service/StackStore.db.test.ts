import type { Knex } from 'knex';
import { TestDatabases } from '@backstage/backend-test-utils';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import { provisioningDatabase } from './database';
import { StackStore } from './StackStore';

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

const databaseService = (knex: Knex): DatabaseService => ({
  getClient: async () => knex,
  migrations: { skip: false },
});

const claim = (name: string, owner: string, extra: object = {}) => ({
  accountId: '123456789012',
  region: 'us-east-1',
  name,
  environment: 'dev' as const,
  owner,
  ...extra,
});

describe.each(databases.eachSupportedId())('StackStore on %s', databaseId => {
  let store: StackStore;
  beforeAll(async () => {
    store = new StackStore(
      await provisioningDatabase(
        databaseService(await databases.init(databaseId)),
      ),
    );
  });

  it('records the first owner of a stack, and keeps it for later claims', async () => {
    const first = await store.claim({
      ...claim('shop', 'group:default/team-a'),
      createdBy: 'user:default/alice',
    });
    expect(first).toEqual({
      created: true,
      stack: expect.objectContaining({
        ref: '123456789012/us-east-1/shop-dev',
        stackId: 'shop-dev',
        owner: 'group:default/team-a',
        createdBy: 'user:default/alice',
      }),
    });
    const second = await store.claim(claim('shop', 'group:default/team-b'));
    expect(second.created).toBe(false);
    expect(second.stack.owner).toBe('group:default/team-a');
    // The same name in another region or environment is another stack.
    expect(
      (
        await store.claim(
          claim('shop', 'group:default/team-b', { region: 'eu-west-1' }),
        )
      ).created,
    ).toBe(true);
    expect(
      (
        await store.claim(
          claim('shop', 'group:default/team-b', { environment: 'prod' }),
        )
      ).created,
    ).toBe(true);
  });

  it('keeps exactly one owner when two claims race', async () => {
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map(team =>
        store.claim(claim('raced', `group:default/team-${team}`)),
      ),
    );
    expect(results.filter(r => r.created)).toHaveLength(1);
    expect(new Set(results.map(r => r.stack.owner)).size).toBe(1);
  });

  it('finds stacks by reference, and forgets a released one', async () => {
    await store.claim(claim('gone', 'group:default/team-a'));
    const [found, missing, malformed] = await store.getByRefs([
      '123456789012/us-east-1/gone-dev',
      '123456789012/us-east-1/never-dev',
      'not a ref',
    ]);
    expect(found?.owner).toBe('group:default/team-a');
    expect(missing).toBeUndefined();
    expect(malformed).toBeUndefined();
    expect(await store.release(found!)).toBe(true);
    expect(
      await store.get({
        accountId: '123456789012',
        region: 'us-east-1',
        stackId: 'gone-dev',
      }),
    ).toBeUndefined();
    expect(await store.release(found!)).toBe(false);
    // Once released, the name is anyone's.
    expect(
      (await store.claim(claim('gone', 'group:default/team-b'))).created,
    ).toBe(true);
  });

  it('leases a stack to one run at a time; a dead holder is taken over once its lease expires', async () => {
    const { stack } = await store.claim(
      claim('leased', 'group:default/team-a'),
    );
    const t0 = new Date('2026-12-01T10:00:00Z');
    const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
    const first = await store.acquireLease(stack, 'run-1', 60_000, t0);
    expect(first).toEqual({
      granted: true,
      lease: { holder: 'run-1', expiresAt: '2026-12-01T10:01:00.000Z' },
    });
    // A second run is refused while the first one's lease holds, and told whose it is.
    expect(await store.acquireLease(stack, 'run-2', 60_000, at(30))).toEqual({
      granted: false,
      lease: { holder: 'run-1', expiresAt: '2026-12-01T10:01:00.000Z' },
    });
    // The holder renews it (a resumed task is the same run).
    expect(
      (await store.acquireLease(stack, 'run-1', 60_000, at(50))).granted,
    ).toBe(true);
    expect(
      (await store.acquireLease(stack, 'run-2', 60_000, at(100))).granted,
    ).toBe(false);
    // The holder dies: nobody renews, and once the lease has expired another run takes over.
    expect(await store.acquireLease(stack, 'run-2', 60_000, at(111))).toEqual({
      granted: true,
      lease: { holder: 'run-2', expiresAt: '2026-12-01T10:02:51.000Z' },
    });
    // Giving up is the holder's alone.
    await store.releaseLease(stack, 'run-1');
    expect(
      (await store.acquireLease(stack, 'run-3', 60_000, at(120))).granted,
    ).toBe(false);
    await store.releaseLease(stack, 'run-2');
    expect(
      (await store.acquireLease(stack, 'run-3', 60_000, at(120))).granted,
    ).toBe(true);
  });

  it('grants a contested lease to exactly one of the runs asking at once', async () => {
    const { stack } = await store.claim(
      claim('contested', 'group:default/team-a'),
    );
    const results = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map(run =>
        store.acquireLease(stack, `run-${run}`, 60_000),
      ),
    );
    expect(results.filter(r => r.granted)).toHaveLength(1);
  });
});
