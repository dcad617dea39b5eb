import type { Knex } from 'knex';
import {
  resolvePackagePath,
  type DatabaseService,
} from '@backstage/backend-plugin-api';

const TABLE = 'konductor_manual_waits';

/** A task that waits for a ticket. */
export interface ManualWait {
  taskId: string;
  issueKey: string;
  state: 'waiting' | 'resumed' | 'expired';
  deadline: Date;
}

const toDate = (v: unknown) =>
  v instanceof Date
    ? v
    : new Date(Number.isFinite(Number(v)) ? Number(v) : String(v));

const waitOf = (row: any): ManualWait => ({
  taskId: row.task_id,
  issueKey: row.issue_key,
  state: row.state,
  deadline: toDate(row.deadline),
});

/**
 * The tasks that wait for a Jira ticket to be done, kept in the database: a task ends while its
 * ticket is open (no worker waits), and is retried once the ticket is done. Every change of state
 * is one conditional write, so two replicas never both retry a task.
 */
export class ManualWaits {
  constructor(
    private readonly db: Knex,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The store on the scaffolder's database, migrated under the module's own table. */
  static async create(database: DatabaseService): Promise<ManualWaits> {
    const db = await database.getClient();
    if (!database.migrations?.skip)
      await db.migrate.latest({
        directory: resolvePackagePath(
          '@konductor/plugin-scaffolder-backend-module-konductor',
          'migrations',
        ),
        tableName: 'konductor_scaffolder_migrations',
      });
    return new ManualWaits(db);
  }

  /** Records that `taskId` waits for `issueKey` until `timeoutMinutes` after the first time. */
  async park(
    taskId: string,
    issueKey: string,
    timeoutMinutes: number,
  ): Promise<ManualWait> {
    const now = this.now();
    await this.db(TABLE)
      .insert({
        task_id: taskId,
        issue_key: issueKey,
        state: 'waiting',
        created_at: now,
        deadline: new Date(now.getTime() + timeoutMinutes * 60_000),
      })
      .onConflict(['task_id', 'issue_key'])
      .ignore();
    // A task resumed before its ticket was done (retried by hand) waits again.
    await this.db(TABLE)
      .where({ task_id: taskId, issue_key: issueKey, state: 'resumed' })
      .update({ state: 'waiting', ended_at: null });
    return (await this.get(taskId, issueKey))!;
  }

  async get(taskId: string, issueKey: string): Promise<ManualWait | undefined> {
    const row = await this.db(TABLE)
      .where({ task_id: taskId, issue_key: issueKey })
      .first();
    return row ? waitOf(row) : undefined;
  }

  /** Every task still waiting. */
  async waiting(): Promise<ManualWait[]> {
    const rows = await this.db(TABLE)
      .where({ state: 'waiting' })
      .orderBy('created_at');
    return rows.map(waitOf);
  }

  /** Ends a wait as `state`; false when another replica ended it first. */
  async end(
    wait: Pick<ManualWait, 'taskId' | 'issueKey'>,
    state: 'resumed' | 'expired',
  ): Promise<boolean> {
    return (
      (await this.db(TABLE)
        .where({
          task_id: wait.taskId,
          issue_key: wait.issueKey,
          state: 'waiting',
        })
        .update({ state, ended_at: this.now() })) > 0
    );
  }
}
