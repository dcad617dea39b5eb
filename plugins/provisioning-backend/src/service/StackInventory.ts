import type { Knex } from 'knex';
import type { PermissionCriteria } from '@backstage/plugin-permission-common';
import type { StackPermissionQuery } from '@konductor/plugin-provisioning-node';
import {
  cents,
  stackInventoryQuerySchema,
  type StackInventory,
  type StackInventoryItem,
  type StackInventoryTotal,
  type StackState,
} from '@konductor/plugin-provisioning-common';
import type { z } from 'zod/v3';
import { whereCriteria } from './criteria';
import { iso } from './database';
import { toStack } from './StackStore';

/** The inventory's query, parsed (defaults applied). */
export type InventoryQuery = z.output<typeof stackInventoryQuerySchema>;

/** A stack's state from its columns: its last run first, then its last drift scan. */
function stateOf(row: any): StackState {
  if (row.last_run_status === 'running') return 'running';
  if (row.last_run_status === 'failed' || row.last_run_status === 'cancelled')
    return 'failed';
  return row.drifted ? 'drifted' : 'healthy';
}

/**
 * Narrows `builder` to the stacks in `state`: `stateOf`'s cases as conditions on the columns
 * themselves, whose share of the rows the planner can estimate (a `CASE`'s it cannot).
 */
function whereState(builder: Knex.QueryBuilder, state: StackState) {
  const settled = (b: Knex.QueryBuilder) =>
    b
      .whereNull('last_run_status')
      .orWhereNotIn('last_run_status', ['running', 'failed', 'cancelled']);
  if (state === 'running') builder.where('last_run_status', 'running');
  else if (state === 'failed')
    builder.whereIn('last_run_status', ['failed', 'cancelled']);
  else builder.where(settled).where('drifted', state === 'drifted');
}

/** The states in the order a sort by state lists them: what needs a look first. */
const STATE_RANK_SQL = `case
  when last_run_status in ('failed', 'cancelled') then 0
  when last_run_status = 'running' then 2
  when drifted then 1
  else 3 end`;

const SORT_COLUMNS: Record<Exclude<InventoryQuery['sort'], 'state'>, string> = {
  name: 'name',
  owner: 'owner',
  environment: 'environment',
  template: 'template_ref',
  createdAt: 'created_at',
  changedAt: 'changed_at',
  monthlyCost: 'monthly_cost',
};

/** The columns an inventory item is made of (not the lease, nor the expiry notice). */
const ITEM_COLUMNS = [
  'account_id',
  'region',
  'stack_id',
  'name',
  'environment',
  'owner',
  'created_by',
  'created_at',
  'expires_at',
  'expiry_task_id',
  'template_ref',
  'monthly_cost',
  'changed_by',
  'changed_at',
  'last_run_id',
  'last_run_status',
  'drifted',
];

function toItem(row: any): StackInventoryItem {
  return {
    ...toStack(row),
    ...(row.template_ref ? { templateRef: row.template_ref } : {}),
    ...(row.monthly_cost !== null && row.monthly_cost !== undefined
      ? { monthlyCost: cents(Number(row.monthly_cost)) }
      : {}),
    ...(row.changed_by ? { changedBy: row.changed_by } : {}),
    ...(row.changed_at ? { changedAt: iso(row.changed_at) } : {}),
    ...(row.last_run_id ? { lastRunId: row.last_run_id } : {}),
    state: stateOf(row),
  };
}

/**
 * Every stack with its owner, template, cost and state, filtered, sorted and paged in SQL (on
 * SQLite or PostgreSQL), narrowed to the stacks the caller may read.
 */
export class StackInventoryStore {
  constructor(private readonly db: Knex) {}

  private filtered(
    query: InventoryQuery,
    allowed: PermissionCriteria<StackPermissionQuery> | undefined,
  ): Knex.QueryBuilder {
    return this.db('stacks').where(builder => {
      if (query.owner) builder.where('owner', query.owner);
      if (query.environment) builder.where('environment', query.environment);
      if (query.template) builder.where('template_ref', query.template);
      if (query.state) whereState(builder, query.state);
      if (query.minCost !== undefined)
        builder.where('monthly_cost', '>=', query.minCost);
      if (query.maxCost !== undefined)
        builder.where('monthly_cost', '<=', query.maxCost);
      if (query.text) {
        const like = `%${query.text.toLowerCase()}%`;
        builder.where(b =>
          b
            .whereRaw('lower(name) like ?', [like])
            .orWhereRaw('lower(stack_id) like ?', [like]),
        );
      }
      if (allowed) whereCriteria(builder, allowed);
    });
  }

  /**
   * The inventory's order as SQL: the chosen sort, nulls last either way on both databases (in
   * the form PostgreSQL can read from the column's index), then the stack's key. Columns come
   * from the constants above, never from the request.
   */
  private order(query: InventoryQuery): string {
    const first =
      query.sort === 'state'
        ? `${STATE_RANK_SQL} ${query.order}`
        : `${SORT_COLUMNS[query.sort]} ${query.order} nulls last`;
    return `${first}, account_id, region, stack_id`;
  }

  /**
   * `select` of `columns` of `rows` (a subquery) as one JSON array of objects, in `order`: on
   * PostgreSQL json_agg, parsed by the driver; on SQLite json_group_array, a string.
   */
  private jsonRows(
    rows: Knex.QueryBuilder,
    columns: string[],
    order?: string,
  ): Knex.Raw {
    const pg = this.db.client.config.client === 'pg';
    const object = `${pg ? 'json_build_object' : 'json_object'}(${columns
      .map(c => `'${c}', r.${c}`)
      .join(', ')})`;
    const ordered = order ? ` order by ${order}` : '';
    const array = pg
      ? `coalesce(json_agg(${object}${ordered}), '[]'::json)`
      : `json_group_array(${object}${ordered})`;
    return this.db.raw(`(select ${array} from ? as r)`, [rows]);
  }

  /**
   * A page of the stacks that match, with how many match and their cost per owner: the page and
   * the totals in one query (one round trip, one row to read), each as a JSON array.
   */
  async list(
    query: InventoryQuery,
    allowed?: PermissionCriteria<StackPermissionQuery>,
  ): Promise<StackInventory> {
    const filtered = this.filtered(query, allowed);
    // The order's columns are all item columns: the aggregate sorts the page by them again.
    const order = this.order(query);
    const [answer] = await this.db.select({
      items: this.jsonRows(
        filtered
          .clone()
          .select(ITEM_COLUMNS)
          .orderByRaw(order)
          .limit(query.limit)
          .offset(query.offset),
        ITEM_COLUMNS,
        order,
      ),
      totals: this.jsonRows(
        filtered
          .clone()
          .select('owner')
          .count({ stacks: '*' })
          .sum({ cost: 'monthly_cost' })
          .groupBy('owner'),
        ['owner', 'stacks', 'cost'],
      ),
    });
    const parsed = (v: unknown): any[] =>
      typeof v === 'string' ? JSON.parse(v) : (v as any[]);
    const byOwner: StackInventoryTotal[] = parsed(answer.totals)
      .map(t => ({
        owner: t.owner as string,
        stacks: Number(t.stacks),
        monthlyCost: cents(Number(t.cost ?? 0)),
      }))
      .sort(
        (a, b) =>
          b.monthlyCost - a.monthlyCost || a.owner.localeCompare(b.owner),
      );
    return {
      items: parsed(answer.items).map(toItem),
      totalCount: byOwner.reduce((n, t) => n + t.stacks, 0),
      monthlyCost: cents(byOwner.reduce((sum, t) => sum + t.monthlyCost, 0)),
      totals: byOwner,
    };
  }

  /** Every stack that matches, sorted, a page at a time (the CSV export). */
  async *all(
    query: InventoryQuery,
    allowed?: PermissionCriteria<StackPermissionQuery>,
    pageSize = 1000,
  ): AsyncGenerator<StackInventoryItem[]> {
    for (let offset = 0; ; offset += pageSize) {
      const rows = await this.filtered(query, allowed)
        .select(ITEM_COLUMNS)
        .orderByRaw(this.order(query))
        .limit(pageSize)
        .offset(offset);
      if (rows.length) yield rows.map(toItem);
      if (rows.length < pageSize) return;
    }
  }
}
