import type { Knex } from 'knex';
import { TestDatabases } from '@backstage/backend-test-utils';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import { provisioningDatabase } from './database';
import { StackStore } from './StackStore';
import { RunStore } from './RunStore';
import { TeamBudgets } from './TeamBudgets';

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
const key = (name: string) => ({
  accountId: ACCOUNT,
  region: REGION,
  stackId: `${name}-dev`,
});

describe.each(databases.eachSupportedId())('TeamBudgets on %s', databaseId => {
  let db: Knex;
  let stacks: StackStore;
  let runs: RunStore;
  let seq = 0;

  /** A dev stack of `owner` with a run planned at `cost` that succeeds, fails or still runs. */
  async function stack(
    name: string,
    owner: string,
    cost: number,
    end?: 'run-succeeded' | 'run-failed',
  ) {
    await stacks.claim({
      accountId: ACCOUNT,
      region: REGION,
      name,
      environment: 'dev',
      owner,
    });
    const { run } = await runs.createRun({
      taskId: `task-${(seq += 1)}`,
      stackId: `${name}-dev`,
      stackName: name,
      environment: 'dev',
      accountId: ACCOUNT,
      region: REGION,
      owner,
      spec: { name, environment: 'dev', resources: {} },
      monthlyCost: cost,
      resources: [],
    });
    if (end)
      await runs.appendEvents(run.id, [
        { seq: 1, at: new Date().toISOString(), status: end, message: end },
      ]);
  }

  beforeAll(async () => {
    db = await provisioningDatabase(
      databaseService(await databases.init(databaseId)),
    );
    stacks = new StackStore(db);
    runs = new RunStore(db);
    await stack('shop', TEAM_A, 300, 'run-succeeded');
    await stack('cart', TEAM_A, 150); // still running: its plan counts
    await stack('broken', TEAM_A, 999, 'run-failed'); // never made: nothing committed
    await stack('billing', TEAM_B, 40, 'run-succeeded');
  });

  const budgets = () =>
    new TeamBudgets(db, [
      { environment: 'dev', monthlyCost: 1000, stacks: 3 },
      { owner: TEAM_B, environment: 'dev', monthlyCost: 50, stacks: null },
    ]);

  it("sums what each group's stacks commit: desired states, and running runs' plans", async () => {
    const a = await budgets().get({ owner: TEAM_A, environment: 'dev' });
    expect(a).toMatchObject({
      committed: 450,
      stackCount: 3,
      monthlyCost: 1000,
      stacks: 3,
      source: 'config',
    });
    // The group's own config entry wins over every group's.
    const b = await budgets().get({ owner: TEAM_B, environment: 'dev' });
    expect(b).toMatchObject({ committed: 40, monthlyCost: 50, stacks: null });
    // No entry for prod: no limit.
    const prod = await budgets().get({ owner: TEAM_A, environment: 'prod' });
    expect(prod).toMatchObject({ source: 'none', monthlyCost: null });
  });

  it('refuses a new stack over the quota and a request over the budget, with the numbers', async () => {
    const overQuota = await budgets().standing(
      { ...key('new'), owner: TEAM_A, environment: 'dev' },
      10,
    );
    expect(overQuota).toMatchObject({ newStack: true, adds: 10 });
    expect(overQuota.refusal).toBe(
      'Over quota: group:default/team-a in dev may have 3 stacks and has 3: destroy one, or ask a platform admin to raise the quota',
    );
    const overBudget = await budgets().standing(
      { ...key('new'), owner: TEAM_B, environment: 'dev' },
      25.5,
    );
    expect(overBudget.refusal).toBe(
      'Over budget: group:default/team-b in dev has a budget of $50.00/month; its stacks commit $40.00 and this request adds $25.50, $15.50 over: choose smaller resources, destroy a stack, or ask a platform admin to raise the budget',
    );
    // A change to an existing stack adds the difference, and is no new stack.
    const grow = await budgets().standing(
      { ...key('shop'), owner: TEAM_A, environment: 'dev' },
      800,
    );
    expect(grow).toMatchObject({ newStack: false, adds: 500 });
    expect(grow.refusal).toBeUndefined();
    const tooMuch = await budgets().standing(
      { ...key('shop'), owner: TEAM_A, environment: 'dev' },
      850.01,
    );
    expect(tooMuch.refusal).toContain('this request adds $550.01, $0.01 over');
    // Making a stack smaller is never refused, even over budget.
    const shrink = await budgets().standing(
      { ...key('billing'), owner: TEAM_B, environment: 'dev' },
      0,
    );
    expect(shrink).toMatchObject({ adds: -40 });
    expect(shrink.refusal).toBeUndefined();
  });

  it("keeps an admin's setting over config's, until withdrawn; lists every group with a budget or stacks", async () => {
    const set = await budgets().set(
      { owner: TEAM_A, environment: 'dev', monthlyCost: 2000, stacks: null },
      'user:default/carol',
    );
    expect(set).toMatchObject({
      source: 'portal',
      monthlyCost: 2000,
      stacks: null,
      updatedBy: 'user:default/carol',
      committed: 450,
    });
    const standing = await budgets().standing(
      { ...key('new'), owner: TEAM_A, environment: 'dev' },
      10,
    );
    expect(standing.refusal).toBeUndefined();
    expect(
      (await budgets().list()).map(b => [b.owner, b.environment, b.source]),
    ).toEqual([
      [TEAM_A, 'dev', 'portal'],
      [TEAM_B, 'dev', 'config'],
    ]);
    expect(
      await budgets().withdraw({ owner: TEAM_A, environment: 'dev' }),
    ).toBe(true);
    expect(
      await budgets().get({ owner: TEAM_A, environment: 'dev' }),
    ).toMatchObject({ source: 'config', monthlyCost: 1000 });
  });

  it('alerts once at 80 % and once at 100 %, and again after falling below', async () => {
    const store = budgets();
    const at = (committed: number) => ({
      owner: 'group:default/team-c',
      environment: 'dev' as const,
      monthlyCost: 100,
      stacks: null,
      source: 'config' as const,
      committed,
      stackCount: 1,
    });
    expect(await store.alertDue(at(50))).toBeUndefined();
    expect(await store.alertDue(at(85))).toBe(80);
    expect(await store.alertDue(at(90))).toBeUndefined();
    expect(await store.alertDue(at(100))).toBe(100);
    expect(await store.alertDue(at(120))).toBeUndefined();
    expect(await store.alertDue(at(10))).toBeUndefined();
    expect(await store.alertDue(at(81))).toBe(80);
  });
});
