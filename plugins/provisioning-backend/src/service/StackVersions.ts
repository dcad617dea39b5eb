import type { Knex } from 'knex';
import {
  type DesiredStackStateList,
  type StackKey,
  type StackVersion,
  specChanges,
} from '@konductor/plugin-provisioning-common';
import { iso, stackKeyColumns as keyOf } from './database';

function toVersion(row: any): StackVersion {
  return {
    version: Number(row.version),
    runId: row.run_id,
    createdBy: row.created_by ?? undefined,
    createdAt: iso(row.created_at),
    spec: JSON.parse(row.spec),
    changes: JSON.parse(row.changes),
  };
}

/**
 * The versions of each stack's desired state, on SQLite or PostgreSQL. A version is recorded by
 * the run that made its spec real, in the transaction that stores the run's success; a run whose
 * spec equals the last version's records none.
 */
export class StackVersionStore {
  constructor(private readonly db: Knex) {}

  /** The stack's versions, newest first. */
  async list(key: StackKey): Promise<StackVersion[]> {
    const rows = await this.db('stack_versions')
      .where(keyOf(key))
      .orderBy('version', 'desc');
    return rows.map(toVersion);
  }

  /**
   * A page of every stack's last version with its owner, in key order (or of the stacks matching
   * the key fields given): what a drift scan reads.
   * `now` decides whether a run's lease still holds the stack.
   */
  async latest(
    page: { offset: number; limit: number } & Partial<StackKey>,
    now: Date,
  ): Promise<DesiredStackStateList> {
    const latest = this.db('stack_versions')
      .select('account_id', 'region', 'stack_id')
      .max('version as version')
      .groupBy('account_id', 'region', 'stack_id')
      .as('latest');
    const sameStack = (other: string) =>
      function on(this: Knex.JoinClause) {
        this.on('v.account_id', `${other}.account_id`)
          .andOn('v.region', `${other}.region`)
          .andOn('v.stack_id', `${other}.stack_id`);
      };
    const query = this.db('stack_versions as v')
      .join(latest, function on() {
        sameStack('latest').call(this);
        this.andOn('v.version', 'latest.version');
      })
      .join('stacks as s', sameStack('s'));
    for (const [column, value] of [
      ['v.account_id', page.accountId],
      ['v.region', page.region],
      ['v.stack_id', page.stackId],
    ])
      if (value) query.where(column!, value);
    const [{ count }] = await query.clone().count({ count: '*' });
    const rows = await query
      .select(
        'v.account_id',
        'v.region',
        'v.stack_id',
        'v.version',
        'v.spec',
        's.owner',
        's.lease_holder',
        's.lease_expires_at',
      )
      .orderBy(['v.account_id', 'v.region', 'v.stack_id'])
      .offset(page.offset)
      .limit(page.limit);
    return {
      totalCount: Number(count),
      items: rows.map(row => ({
        accountId: row.account_id,
        region: row.region,
        stackId: row.stack_id,
        owner: row.owner,
        version: Number(row.version),
        spec: JSON.parse(row.spec),
        running:
          !!row.lease_holder &&
          new Date(iso(row.lease_expires_at)).getTime() > now.getTime(),
      })),
    };
  }

  /**
   * Records the spec of `run` (a `runs` row that has just succeeded, read in `tx`) as its stack's
   * next version, when it has one and it differs from the last. Returns the version recorded.
   */
  static async recordSuccess(
    tx: Knex,
    run: {
      id: string;
      account_id?: string | null;
      region?: string | null;
      stack_id: string;
      spec?: string | null;
      created_by?: string | null;
    },
    at: Date,
  ): Promise<number | undefined> {
    if (!run.spec || !run.account_id || !run.region) return undefined;
    const key = {
      account_id: run.account_id,
      region: run.region,
      stack_id: run.stack_id,
    };
    const last = await tx('stack_versions')
      .where(key)
      .orderBy('version', 'desc')
      .first();
    const spec = JSON.parse(run.spec);
    const changes = last ? specChanges(JSON.parse(last.spec), spec) : [];
    if (last && !changes.length) return undefined;
    const version = last ? Number(last.version) + 1 : 1;
    await tx('stack_versions').insert({
      ...key,
      version,
      run_id: run.id,
      spec: run.spec,
      changes: JSON.stringify(changes),
      created_by: run.created_by ?? null,
      created_at: at,
    });
    return version;
  }

  /** Forgets a destroyed stack's versions (in `tx`, with the stack). */
  static async forget(tx: Knex, key: StackKey): Promise<void> {
    await tx('stack_versions').where(keyOf(key)).delete();
  }
}
