import type { Knex } from 'knex';
import {
  budgetRefusal,
  cents,
  type BudgetLimits,
  type BudgetStanding,
  type StackKey,
  type TeamBudget,
} from '@konductor/plugin-provisioning-common';
import { iso, stackKeyColumns } from './database';

/** A budget of config (`konductor.budgets`): without an owner, every group's in its environment. */
export type ConfiguredBudget = Omit<BudgetLimits, 'owner'> & { owner?: string };

/**
 * What a stack commits each month: the plan of the run working on it, or else the cost of its
 * desired state. A request being made counts before its run succeeds.
 */
const COMMITTED_SQL = `coalesce(case when stacks.last_run_status = 'running'
  then runs.monthly_cost end, stacks.monthly_cost, 0)`;

type Key = Pick<BudgetLimits, 'owner' | 'environment'>;

const nullableNumber = (v: unknown) =>
  v === null || v === undefined ? null : Number(v);

/** Key columns qualified with the stacks table (the queries join runs, which has them too). */
const prefixed = (columns: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(columns).map(([k, v]) => [`stacks.${k}`, v]),
  );

const keyString = (k: Key) => `${k.owner} ${k.environment}`;

/**
 * Groups' budgets and stack quotas per environment, and what their stacks commit against them:
 * an admin's setting in the portal (the `budgets` table) wins over config's for its group, and
 * config's for the group over config's for every group.
 */
export class TeamBudgets {
  constructor(
    private readonly db: Knex,
    private readonly configured: ConfiguredBudget[],
  ) {}

  /** Every group and environment with a budget or with stacks, by owner then environment. */
  async list(): Promise<TeamBudget[]> {
    const [set, usage] = await Promise.all([
      this.db('budgets').select(),
      this.usage(this.db('stacks')),
    ]);
    const keys = new Map<string, Key>();
    for (const k of [
      ...set,
      ...this.configured.filter(c => c.owner),
      ...usage.values(),
    ] as Key[])
      keys.set(keyString(k), { owner: k.owner, environment: k.environment });
    const portal = new Map(set.map(row => [keyString(row), row]));
    return [...keys.values()]
      .map(k =>
        this.budgetOf(k, portal.get(keyString(k)), usage.get(keyString(k))),
      )
      .sort(
        (a, b) =>
          a.owner.localeCompare(b.owner) ||
          a.environment.localeCompare(b.environment),
      );
  }

  /** The budget of a group in an environment, with its usage. */
  async get({ owner, environment }: Key): Promise<TeamBudget> {
    const key = { owner, environment };
    const [row, usage] = await Promise.all([
      this.db('budgets').where(key).first(),
      this.usage(
        this.db('stacks').where({
          'stacks.owner': key.owner,
          'stacks.environment': key.environment,
        }),
      ),
    ]);
    return this.budgetOf(key, row, usage.get(keyString(key)));
  }

  /** A request for `stack` at `monthlyCost` in its owner's budget. */
  async standing(
    stack: StackKey & Key,
    monthlyCost: number | undefined,
  ): Promise<BudgetStanding> {
    const budget = await this.get(stack);
    const existing = await this.db('stacks')
      .leftJoin('runs', 'runs.id', 'stacks.last_run_id')
      .where(prefixed(stackKeyColumns(stack)))
      .first(this.db.raw(`${COMMITTED_SQL} as cost`));
    const adds =
      monthlyCost === undefined
        ? 0
        : cents(monthlyCost - Number(existing?.cost ?? 0));
    const newStack = !existing;
    const refusal = budgetRefusal(budget, adds, newStack);
    return {
      budget,
      adds,
      newStack,
      ...(refusal ? { refusal } : {}),
    };
  }

  /** An admin's limits for a group and environment, replacing any before. */
  async set(limits: BudgetLimits, updatedBy: string): Promise<TeamBudget> {
    const row = {
      owner: limits.owner,
      environment: limits.environment,
      monthly_cost: limits.monthlyCost,
      stack_quota: limits.stacks,
      updated_by: updatedBy,
      updated_at: new Date(),
    };
    await this.db('budgets')
      .insert(row)
      .onConflict(['owner', 'environment'])
      .merge();
    return this.get(limits);
  }

  /** Withdraws an admin's limits: config's apply again. Whether there were any. */
  async withdraw(key: Key): Promise<boolean> {
    return (await this.db('budgets').where(key).delete()) > 0;
  }

  /**
   * The alert level (0, 80 or 100 % of the budget) the group has reached, when it is above the
   * one it was last sent; records it. A level that falls is recorded too, so that crossing it
   * again alerts again. One conditional write: two replicas never both alert.
   */
  async alertDue(budget: TeamBudget): Promise<80 | 100 | undefined> {
    const share = !budget.monthlyCost
      ? 0
      : budget.committed / budget.monthlyCost;
    let level = 0;
    if (share >= 1) level = 100;
    else if (share >= 0.8) level = 80;
    const key = { owner: budget.owner, environment: budget.environment };
    const last = await this.db('budget_alerts').where(key).first();
    const before: number = last?.level ?? 0;
    if (before === level) return undefined;
    if (last) {
      const moved = await this.db('budget_alerts')
        .where({ ...key, level: before })
        .update({ level });
      if (!moved) return undefined;
    } else {
      try {
        await this.db('budget_alerts').insert({ ...key, level });
      } catch {
        return undefined; // another replica recorded it first
      }
    }
    return level > before ? (level as 80 | 100) : undefined;
  }

  /** Committed cost and stack count per group and environment of the stacks `query` selects. */
  private async usage(
    query: Knex.QueryBuilder,
  ): Promise<Map<string, Key & { committed: number; stackCount: number }>> {
    const rows = await query
      .leftJoin('runs', 'runs.id', 'stacks.last_run_id')
      .groupBy('stacks.owner', 'stacks.environment')
      .select(
        'stacks.owner as owner',
        'stacks.environment as environment',
        this.db.raw(`sum(${COMMITTED_SQL}) as committed`),
        this.db.raw('count(*) as stacks'),
      );
    return new Map(
      rows.map((r: any) => [
        keyString(r),
        {
          owner: r.owner,
          environment: r.environment,
          committed: cents(Number(r.committed ?? 0)),
          stackCount: Number(r.stacks),
        },
      ]),
    );
  }

  private budgetOf(
    key: Key,
    row: any,
    usage: { committed: number; stackCount: number } | undefined,
  ): TeamBudget {
    const configured =
      this.configured.find(
        c => c.owner === key.owner && c.environment === key.environment,
      ) ??
      this.configured.find(
        c => c.owner === undefined && c.environment === key.environment,
      );
    const used = {
      committed: usage?.committed ?? 0,
      stackCount: usage?.stackCount ?? 0,
    };
    if (row)
      return {
        ...key,
        monthlyCost: nullableNumber(row.monthly_cost),
        stacks: nullableNumber(row.stack_quota),
        source: 'portal',
        ...(row.updated_by ? { updatedBy: row.updated_by } : {}),
        updatedAt: iso(row.updated_at),
        ...used,
      } as TeamBudget;
    if (configured)
      return {
        ...key,
        monthlyCost: configured.monthlyCost,
        stacks: configured.stacks,
        source: 'config',
        ...used,
      };
    return {
      ...key,
      monthlyCost: null,
      stacks: null,
      source: 'none',
      ...used,
    };
  }
}
