import type { Knex } from 'knex';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import { provisioningDatabase } from './database';
import { StackStore } from './StackStore';
import { StackExpiry } from './StackExpiry';

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

const databaseService = (knex: Knex): DatabaseService => ({
  getClient: async () => knex,
  migrations: { skip: false },
});

const HOUR = 3600_000;
const T0 = new Date('2026-12-10T12:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe.each(databases.eachSupportedId())('StackExpiry on %s', databaseId => {
  let stacks: StackStore;
  let sent: { to: unknown; title: string; link: string }[];
  let started: { templateRef: string; values: any }[];
  let failStart: boolean;
  let expiry: StackExpiry;

  beforeAll(async () => {
    stacks = new StackStore(
      await provisioningDatabase(
        databaseService(await databases.init(databaseId)),
      ),
    );
    expiry = new StackExpiry({
      stacks,
      notifications: {
        send: async (n: any) =>
          void sent.push({
            to: n.recipients.entityRef,
            title: n.payload.title,
            link: n.payload.link,
          }),
      },
      startTask: async (templateRef, values) => {
        if (failStart) throw new Error('scaffolder unavailable');
        started.push({ templateRef, values });
        return `task-${started.length}`;
      },
      destroyTemplate: 'template:default/destroy-stack',
      logger: mockServices.logger.mock(),
    });
  });
  beforeEach(() => {
    sent = [];
    started = [];
    failStart = false;
  });

  const claim = (name: string, expiresAt?: Date) =>
    stacks.claim({
      accountId: '123456789012',
      region: 'us-east-1',
      name,
      environment: 'dev',
      owner: 'group:default/team-a',
      ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
    });

  it('tells the owners a day and an hour before, once each, then starts the destroy run at expiry', async () => {
    const { stack } = await claim('shop', at(48 * HOUR));
    expect(stack.expiresAt).toBe(at(48 * HOUR).toISOString());
    // Two days ahead: nothing yet.
    expect(await expiry.sweep(T0)).toEqual({ noticed: [], destroying: [] });
    // 23 hours ahead: the day's notice, once however often the sweep runs.
    expect((await expiry.sweep(at(25 * HOUR))).noticed).toEqual([
      { stack: stack.ref, notice: 'day' },
    ]);
    expect((await expiry.sweep(at(26 * HOUR))).noticed).toEqual([]);
    expect(sent).toEqual([
      {
        to: 'group:default/team-a',
        title: 'Stack shop-dev expires in 23 hours',
        link: '/catalog/default/system/shop-dev',
      },
    ]);
    // 50 minutes ahead: the hour's.
    sent = [];
    await expiry.sweep(at(47 * HOUR + 10 * 60_000));
    await expiry.sweep(at(47 * HOUR + 20 * 60_000));
    expect(sent.map(n => n.title)).toEqual([
      'Stack shop-dev expires in 50 minutes',
    ]);
    // At expiry: the destroy template's task, filled as Destroy fills it, and one more notice.
    sent = [];
    expect((await expiry.sweep(at(48 * HOUR))).destroying).toEqual([
      { stack: stack.ref, taskId: 'task-1' },
    ]);
    expect(started).toEqual([
      {
        templateRef: 'template:default/destroy-stack',
        values: {
          name: 'shop',
          environment: 'dev',
          location: { accountId: '123456789012', region: 'us-east-1' },
          confirmation: 'shop',
        },
      },
    ]);
    expect(sent).toEqual([
      {
        to: 'group:default/team-a',
        title: 'Stack shop-dev expired and is being destroyed',
        link: `/provisioning/runs/${encodeURIComponent('task-1_shop-dev')}`,
      },
    ]);
    expect((await stacks.get(stack))?.expiryTaskId).toBe('task-1');
    // Started once: later sweeps leave it to its run, and it can no longer be extended.
    expect(await expiry.sweep(at(49 * HOUR))).toEqual({
      noticed: [],
      destroying: [],
    });
    expect(await stacks.setExpiry(stack, at(72 * HOUR).toISOString())).toBe(
      false,
    );
  });

  it('sends one notice, the nearest, to a stack that expires within the hour', async () => {
    const { stack } = await claim('brief', at(30 * 60_000));
    await expiry.sweep(T0);
    expect(sent.map(n => n.title)).toEqual([
      'Stack brief-dev expires in 30 minutes',
    ]);
    await expiry.sweep(at(60_000));
    expect(sent).toHaveLength(1);
    await stacks.release(stack);
  });

  it('starts the notices again when the stack is extended, and tries a failed start again', async () => {
    const { stack } = await claim('kept', at(10 * HOUR));
    await expiry.sweep(T0);
    expect(sent.map(n => n.title)).toEqual([
      'Stack kept-dev expires in 10 hours',
    ]);
    expect(await stacks.setExpiry(stack, at(40 * HOUR).toISOString())).toBe(
      true,
    );
    // Extended by more than a day: no notice until a day before the new date.
    expect((await expiry.sweep(at(HOUR))).noticed).toEqual([]);
    expect((await expiry.sweep(at(17 * HOUR))).noticed).toEqual([
      { stack: stack.ref, notice: 'day' },
    ]);
    // The scaffolder down at expiry: nothing recorded, the next sweep starts the run.
    failStart = true;
    expect(await expiry.sweep(at(40 * HOUR))).toEqual({
      noticed: [],
      destroying: [],
    });
    expect((await stacks.get(stack))?.expiryTaskId).toBeUndefined();
    failStart = false;
    expect((await expiry.sweep(at(41 * HOUR))).destroying).toEqual([
      { stack: stack.ref, taskId: 'task-1' },
    ]);
  });

  it('never looks at a stack without an expiry', async () => {
    const { stack } = await claim('forever');
    expect(stack.expiresAt).toBeUndefined();
    await expiry.sweep(at(10_000 * HOUR));
    expect(started).toEqual([]);
    expect(sent).toEqual([]);
  });
});
