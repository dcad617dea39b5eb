import type { Knex } from 'knex';
import { TestDatabases } from '@backstage/backend-test-utils';
import {
  resolvePackagePath,
  type DatabaseService,
} from '@backstage/backend-plugin-api';
import {
  stackInventoryQuerySchema,
  type StackInventoryQuery,
} from '@konductor/plugin-provisioning-common';
import { provisioningDatabase } from './database';
import { StackStore } from './StackStore';
import { RunStore } from './RunStore';
import { StackDriftStore } from './StackDrift';
import { StackInventoryStore } from './StackInventory';
import { INVENTORY_CSV_HEADER, inventoryCsvLines } from './inventoryCsv';

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

const databaseService = (knex: Knex): DatabaseService => ({
  getClient: async () => knex,
  migrations: { skip: false },
});

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const TEAM_A = 'group:default/team-a';
const TEAM_B = 'group:default/team-b';

describe.each(databases.eachSupportedId())(
  'StackInventoryStore on %s',
  databaseId => {
    let stacks: StackStore;
    let runs: RunStore;
    let drift: StackDriftStore;
    let inventory: StackInventoryStore;
    let seq = 0;

    /** A stack claimed by `owner`, and a run of it by `user` that ends with `end` (or runs). */
    async function stackWithRun(options: {
      name: string;
      environment?: 'dev' | 'staging' | 'prod';
      owner: string;
      user?: string;
      cost?: number;
      template?: string;
      end?: 'run-succeeded' | 'run-failed' | 'run-cancelled';
    }) {
      const environment = options.environment ?? 'dev';
      await stacks.claim({
        accountId: ACCOUNT,
        region: REGION,
        name: options.name,
        environment,
        owner: options.owner,
        createdBy: options.user,
      });
      const { run } = await runs.createRun({
        taskId: `task-${(seq += 1)}`,
        stackId: `${options.name}-${environment}`,
        stackName: options.name,
        environment,
        accountId: ACCOUNT,
        region: REGION,
        owner: options.owner,
        createdBy: options.user,
        templateRef: options.template,
        spec: { name: options.name, environment, resources: {} },
        monthlyCost: options.cost,
        resources: [],
      });
      if (options.end)
        await runs.appendEvents(run.id, [
          {
            seq: 1,
            at: new Date().toISOString(),
            status: options.end,
            message: options.end,
          },
        ]);
      return run;
    }

    const list = (query: StackInventoryQuery = {}) =>
      inventory.list(stackInventoryQuerySchema.parse(query));

    beforeAll(async () => {
      const db = await provisioningDatabase(
        databaseService(await databases.init(databaseId)),
      );
      stacks = new StackStore(db);
      runs = new RunStore(db);
      drift = new StackDriftStore(db);
      inventory = new StackInventoryStore(db);
      await stackWithRun({
        name: 'shop',
        owner: TEAM_A,
        user: 'user:default/alice',
        cost: 120.5,
        template: 'template:default/eks-app-stack',
        end: 'run-succeeded',
      });
      await stackWithRun({
        name: 'ledger',
        environment: 'prod',
        owner: TEAM_A,
        user: 'user:default/alice',
        cost: 900,
        template: 'template:default/eks-app-stack',
        end: 'run-succeeded',
      });
      await stackWithRun({
        name: 'billing',
        owner: TEAM_B,
        user: 'user:default/bob',
        cost: 40.25,
        template: 'template:default/sandbox-database',
        end: 'run-failed',
      });
      await stackWithRun({
        name: 'search',
        owner: TEAM_B,
        user: 'user:default/bob',
        cost: 15,
        template: 'template:default/sandbox-database',
      });
    });

    it('lists each stack with the template, cost and author of its last successful run', async () => {
      const { items, totalCount } = await list();
      expect(totalCount).toBe(4);
      expect(items.map(s => s.name)).toEqual([
        'billing',
        'ledger',
        'search',
        'shop',
      ]);
      expect(items.find(s => s.name === 'shop')).toMatchObject({
        ref: `${ACCOUNT}/${REGION}/shop-dev`,
        owner: TEAM_A,
        environment: 'dev',
        templateRef: 'template:default/eks-app-stack',
        monthlyCost: 120.5,
        createdBy: 'user:default/alice',
        changedBy: 'user:default/alice',
        changedAt: expect.any(String),
        state: 'healthy',
      });
      // A failed first run made nothing real: no template, no version, but its cost is unknown.
      const billing = items.find(s => s.name === 'billing')!;
      expect(billing.state).toBe('failed');
      expect(billing.templateRef).toBeUndefined();
      expect(billing.monthlyCost).toBeUndefined();
      expect(billing.changedAt).toBeUndefined();
      expect(items.find(s => s.name === 'search')!.state).toBe('running');
    });

    it('follows the last run: a retry runs again, and a later success is healthy', async () => {
      const retried = await stackWithRun({
        name: 'billing',
        owner: TEAM_B,
        user: 'user:default/bob',
        cost: 40.25,
        template: 'template:default/sandbox-database',
      });
      expect((await list({ text: 'billing' })).items[0].state).toBe('running');
      await runs.appendEvents(retried.id, [
        {
          seq: 1,
          at: new Date().toISOString(),
          status: 'run-succeeded',
          message: 'done',
        },
      ]);
      expect((await list({ text: 'billing' })).items[0]).toMatchObject({
        state: 'healthy',
        monthlyCost: 40.25,
        templateRef: 'template:default/sandbox-database',
      });
    });

    it('shows drift from the last scan, and healthy again once a scan finds none', async () => {
      const key = { accountId: ACCOUNT, region: REGION, stackId: 'shop-dev' };
      const scan = (state: 'drifted' | 'in-sync') =>
        drift.report(key, {
          version: 1,
          scannedAt: new Date().toISOString(),
          resources: [
            {
              resource: 'db',
              kind: 'database',
              state,
              attributes:
                state === 'drifted'
                  ? [{ field: 'allocatedStorage', desired: 20, actual: 50 }]
                  : [],
            },
          ],
        });
      await scan('drifted');
      expect((await list({ state: 'drifted' })).items.map(s => s.name)).toEqual(
        ['shop'],
      );
      await scan('in-sync');
      expect((await list({ state: 'drifted' })).totalCount).toBe(0);
    });

    it('filters by owner, environment, template, state, cost range and text', async () => {
      const names = async (query: StackInventoryQuery) =>
        (await list(query)).items.map(s => s.name);
      expect(await names({ owner: TEAM_B })).toEqual(['billing', 'search']);
      expect(await names({ environment: 'prod' })).toEqual(['ledger']);
      expect(
        await names({ template: 'template:default/eks-app-stack' }),
      ).toEqual(['ledger', 'shop']);
      expect(await names({ state: 'running' })).toEqual(['search']);
      expect(await names({ minCost: 40.25, maxCost: 120.5 })).toEqual([
        'billing',
        'shop',
      ]);
      expect(await names({ minCost: 1000 })).toEqual([]);
      expect(await names({ text: 'LED' })).toEqual(['ledger']);
    });

    it('filters each state to exactly the stacks the list shows in it', async () => {
      await stackWithRun({
        name: 'archive',
        owner: TEAM_B,
        end: 'run-cancelled',
      });
      const ledger = {
        accountId: ACCOUNT,
        region: REGION,
        stackId: 'ledger-prod',
      };
      const scan = (state: 'drifted' | 'in-sync') =>
        drift.report(ledger, {
          version: 1,
          scannedAt: new Date().toISOString(),
          resources: [
            { resource: 'db', kind: 'database', state, attributes: [] },
          ],
        });
      await scan('drifted');
      const everything = (await list()).items;
      const states = ['failed', 'drifted', 'running', 'healthy'] as const;
      expect([...new Set(everything.map(s => s.state))].sort()).toEqual(
        [...states].sort(),
      );
      for (const state of states)
        expect((await list({ state })).items.map(s => s.name)).toEqual(
          everything.filter(s => s.state === state).map(s => s.name),
        );
      await scan('in-sync');
      await stacks.release({
        accountId: ACCOUNT,
        region: REGION,
        stackId: 'archive-dev',
      });
    });

    it('sorts by any column either way, stacks without a cost last', async () => {
      const names = async (query: StackInventoryQuery) =>
        (await list(query)).items.map(s => s.name);
      // search's run has not succeeded yet: its cost is not known.
      expect(await names({ sort: 'monthlyCost', order: 'desc' })).toEqual([
        'ledger',
        'shop',
        'billing',
        'search',
      ]);
      expect(await names({ sort: 'monthlyCost', order: 'asc' })).toEqual([
        'billing',
        'shop',
        'ledger',
        'search',
      ]);
      await stackWithRun({
        name: 'broken',
        owner: TEAM_B,
        end: 'run-cancelled',
      });
      // What needs a look first: failed, drifted, running, then healthy.
      expect(await names({ sort: 'state' })).toEqual([
        'broken',
        'search',
        'billing',
        'ledger',
        'shop',
      ]);
      expect((await names({ sort: 'state', order: 'desc' }))[4]).toBe('broken');
      await stacks.release({
        accountId: ACCOUNT,
        region: REGION,
        stackId: 'broken-dev',
      });
      expect(await names({ sort: 'owner', limit: 1, offset: 2 })).toEqual([
        'billing',
      ]);
    });

    it('totals the cost per team over every page, most expensive first', async () => {
      const all = await list({ limit: 1 });
      expect(all.items).toHaveLength(1);
      expect(all.totalCount).toBe(4);
      expect(all.monthlyCost).toBe(1060.75);
      expect(all.totals).toEqual([
        { owner: TEAM_A, stacks: 2, monthlyCost: 1020.5 },
        { owner: TEAM_B, stacks: 2, monthlyCost: 40.25 },
      ]);
    });

    it('narrows everything, totals included, to the stacks the permission allows', async () => {
      const mine = await inventory.list(stackInventoryQuerySchema.parse({}), {
        column: 'owner',
        values: [TEAM_B],
      });
      expect(mine.items.map(s => s.owner)).toEqual([TEAM_B, TEAM_B]);
      expect(mine.totals).toEqual([
        { owner: TEAM_B, stacks: 2, monthlyCost: 40.25 },
      ]);
      const none = await inventory.list(stackInventoryQuerySchema.parse({}), {
        column: 'owner',
        values: [],
      });
      expect(none.totalCount).toBe(0);
    });

    it('exports every matching stack as CSV, in pages, quoting what needs it', async () => {
      const pages: string[] = [];
      for await (const items of inventory.all(
        stackInventoryQuerySchema.parse({ sort: 'monthlyCost', order: 'desc' }),
        undefined,
        3,
      ))
        pages.push(inventoryCsvLines(items));
      expect(pages).toHaveLength(2);
      const lines = (INVENTORY_CSV_HEADER + pages.join('')).split('\r\n');
      expect(lines[0]).toBe(
        'stack,name,environment,account,region,owner,template,state,monthly_cost_usd,created_by,created_at,changed_by,changed_at,expires_at',
      );
      expect(lines[1]).toMatch(
        /^ledger-prod,ledger,prod,123456789012,us-east-1,group:default\/team-a,template:default\/eks-app-stack,healthy,900\.00,user:default\/alice,/,
      );
      expect(lines).toHaveLength(6); // header, four stacks, and the last line's end
    });
  },
);

describe.each(databases.eachSupportedId())(
  'the inventory migration on %s',
  databaseId => {
    it('gives stacks recorded before it their last run, template, author and drift', async () => {
      const db = await databases.init(databaseId);
      const directory = resolvePackagePath(
        '@konductor/plugin-provisioning-backend',
        'migrations',
      );
      // The schema just before the inventory's migration: undo the later ones, then it.
      await db.migrate.latest({ directory });
      for (;;) {
        const [done] = await db.migrate.list({ directory });
        const last: { name: string } | string = done[done.length - 1];
        const name = typeof last === 'string' ? last : last.name;
        await db.migrate.down({ directory });
        if (name === '20261207000000_stack_inventory.js') break;
      }
      const key = { account_id: ACCOUNT, region: REGION, stack_id: 'old-dev' };
      const at = (minutes: number) =>
        new Date(Date.UTC(2026, 10, 1, 0, minutes));
      await db('stacks').insert({
        ...key,
        name: 'old',
        environment: 'dev',
        owner: TEAM_A,
        created_at: at(0),
      });
      const run = (
        id: string,
        minutes: number,
        status: string,
        template?: string,
      ) => ({
        id,
        task_id: id,
        stack_id: 'old-dev',
        stack_name: 'old',
        environment: 'dev',
        account_id: ACCOUNT,
        region: REGION,
        template_ref: template ?? null,
        status,
        created_at: at(minutes),
        updated_at: at(minutes),
        last_seq: 0,
      });
      await db('runs').insert([
        run('r1', 1, 'succeeded', 'template:default/eks-app-stack'),
        run('r2', 2, 'failed', 'template:default/other'),
      ]);
      await db('stack_versions').insert({
        ...key,
        version: 1,
        run_id: 'r1',
        spec: '{}',
        changes: '[]',
        created_by: 'user:default/alice',
        created_at: at(1),
      });
      await db('stack_drift').insert({
        ...key,
        version: 1,
        scanned_at: at(3),
        resources: JSON.stringify([
          {
            resource: 'db',
            kind: 'database',
            state: 'missing',
            attributes: [],
          },
        ]),
      });
      await db.migrate.latest({ directory });
      const [item] = (
        await new StackInventoryStore(db).list(
          stackInventoryQuerySchema.parse({ text: 'old' }),
        )
      ).items;
      expect(item).toMatchObject({
        templateRef: 'template:default/eks-app-stack',
        changedBy: 'user:default/alice',
        changedAt: at(1).toISOString(),
        lastRunId: 'r2',
        state: 'failed',
      });
      expect(item.monthlyCost).toBeUndefined();
      await db('runs').where({ id: 'r2' }).update({ status: 'succeeded' });
      await db('stacks').where(key).update({ last_run_status: 'succeeded' });
      expect(
        (
          await new StackInventoryStore(db).list(
            stackInventoryQuerySchema.parse({ text: 'old' }),
          )
        ).items[0].state,
      ).toBe('drifted');
    });
  },
);

describe('inventoryCsvLines', () => {
  it('quotes commas and quotes, and defuses what a spreadsheet would run', () => {
    const line = inventoryCsvLines([
      {
        accountId: ACCOUNT,
        region: REGION,
        stackId: 'x-dev',
        ref: `${ACCOUNT}/${REGION}/x-dev`,
        name: 'x',
        environment: 'dev',
        owner: 'group:default/a,b',
        createdBy: '=HYPERLINK("evil")',
        createdAt: '2026-12-04T00:00:00.000Z',
        state: 'healthy',
      },
    ]);
    expect(line).toContain(',"group:default/a,b",');
    expect(line).toContain(',"\'=HYPERLINK(""evil"")",');
  });
});
