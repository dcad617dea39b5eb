import type { Knex } from 'knex';
import { ConflictError, NotFoundError } from '@backstage/errors';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import type {
  CreateRunRequest,
  ProvisioningEvent,
  ProvisioningRun,
  RunResource,
  RunStatus,
} from '@konductor/plugin-provisioning-common';
import { runIdFor, stackRefOf } from '@konductor/plugin-provisioning-common';
import type { StackPermissionQuery } from '@konductor/plugin-provisioning-node';
import type { PermissionCriteria } from '@backstage/plugin-permission-common';
import { iso, provisioningDatabase } from './database';
import { whereCriteria } from './criteria';
import { StackVersionStore } from './StackVersions';

/** Filters and paging of {@link RunStore.listRuns}. */
export interface RunQuery {
  owner?: string;
  stackId?: string;
  accountId?: string;
  region?: string;
  /** Only runs started by this user. */
  createdBy?: string;
  entityRef?: string;
  /** Only runs of tasks of this template. */
  templateRef?: string;
  status?: RunStatus;
  environment?: string;
  /** Matched against the stack name and id. */
  text?: string;
  /** Only runs of stacks the permission conditions allow (absent: every run). */
  allowed?: PermissionCriteria<StackPermissionQuery>;
  limit: number;
  offset: number;
}

/** What appending a batch did. */
export interface AppendResult {
  run: ProvisioningRun;
  /** The run's status before the batch: completion is a change from `running`. */
  previousStatus: RunStatus;
  /** Events newly stored (retried ones already stored are left out). */
  appended: ProvisioningEvent[];
}

const RUN_END: Record<string, RunStatus> = {
  'run-succeeded': 'succeeded',
  'run-failed': 'failed',
  'run-cancelled': 'cancelled',
};

function toResource(r: any): RunResource {
  return {
    resource: r.resource,
    // Runs recorded before resources were named: the name is the kind.
    kind: r.kind ?? r.resource,
    catalogType: r.catalog_type ?? undefined,
    typicalCreateSeconds: r.typical_create_seconds ?? undefined,
    status: r.status,
    dependsOn: JSON.parse(r.depends_on),
    outputs: r.outputs ? JSON.parse(r.outputs) : undefined,
    error: r.error ?? undefined,
    detail: r.detail ?? undefined,
    updatedAt: iso(r.updated_at),
  };
}

function toRun(row: any): ProvisioningRun {
  return {
    id: row.id,
    taskId: row.task_id,
    stackId: row.stack_id,
    stackName: row.stack_name,
    environment: row.environment,
    accountId: row.account_id ?? undefined,
    region: row.region ?? undefined,
    stackRef:
      row.account_id && row.region
        ? stackRefOf({
            accountId: row.account_id,
            region: row.region,
            stackId: row.stack_id,
          })
        : undefined,
    templateRef: row.template_ref ?? undefined,
    entityRef: row.entity_ref ?? undefined,
    owner: row.owner ?? undefined,
    complianceLevel: row.compliance_level ?? undefined,
    createdBy: row.created_by ?? undefined,
    status: row.status,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: row.finished_at ? iso(row.finished_at) : undefined,
    lastSeq: Number(row.last_seq),
  };
}

/** The key columns of a run's stack (runs recorded before stacks had accounts match none). */
function stackKeyOfRun(run: {
  account_id?: string | null;
  region?: string | null;
  stack_id: string;
}) {
  return {
    account_id: run.account_id ?? '',
    region: run.region ?? '',
    stack_id: run.stack_id,
  };
}

/** Runs, their resource graphs and event logs, on SQLite or PostgreSQL. */
export class RunStore {
  constructor(private readonly db: Knex) {}

  static async create(database: DatabaseService): Promise<RunStore> {
    return new RunStore(await provisioningDatabase(database));
  }

  /** Registers a run; the same task and stack registered again returns the existing run. */
  async createRun(
    request: CreateRunRequest & {
      resources: NonNullable<CreateRunRequest['resources']>;
    },
  ): Promise<{ run: ProvisioningRun; created: boolean }> {
    const existing = await this.db('runs')
      .where({ task_id: request.taskId, stack_id: request.stackId })
      .first();
    if (existing) return { run: toRun(existing), created: false };
    const now = new Date();
    const id = runIdFor(request.taskId, request.stackId);
    try {
      await this.db.transaction(async tx => {
        await tx('runs').insert({
          id,
          task_id: request.taskId,
          stack_id: request.stackId,
          stack_name: request.stackName,
          environment: request.environment,
          account_id: request.accountId,
          region: request.region,
          template_ref: request.templateRef,
          entity_ref: request.entityRef,
          owner: request.owner,
          compliance_level: request.complianceLevel,
          created_by: request.createdBy,
          spec: request.spec ? JSON.stringify(request.spec) : null,
          monthly_cost: request.monthlyCost ?? null,
          status: 'running',
          created_at: now,
          updated_at: now,
          last_seq: 0,
        });
        // The stack's newest run decides its state in the inventory.
        if (request.accountId && request.region)
          await tx('stacks')
            .where({
              account_id: request.accountId,
              region: request.region,
              stack_id: request.stackId,
            })
            .update({ last_run_id: id, last_run_status: 'running' });
        if (request.resources.length) {
          await tx('run_resources').insert(
            request.resources.map(r => ({
              run_id: id,
              resource: r.resource,
              kind: r.kind ?? null,
              catalog_type: r.catalogType ?? null,
              typical_create_seconds: r.typicalCreateSeconds ?? null,
              status: 'queued',
              depends_on: JSON.stringify(r.dependsOn),
              updated_at: now,
            })),
          );
        }
      });
    } catch (e) {
      // Two replicas registering the same run at once: the unique key keeps one.
      const raced = await this.db('runs')
        .where({ task_id: request.taskId, stack_id: request.stackId })
        .first();
      if (raced) return { run: toRun(raced), created: false };
      throw e;
    }
    return { run: await this.getRun(id), created: true };
  }

  async getRun(id: string): Promise<ProvisioningRun> {
    const row = await this.db('runs').where({ id }).first();
    if (!row) throw new NotFoundError(`No provisioning run with id ${id}`);
    return toRun(row);
  }

  async getResources(runId: string): Promise<RunResource[]> {
    const rows = await this.db('run_resources')
      .where({ run_id: runId })
      .orderBy('resource');
    return rows.map(toResource);
  }

  async listRuns(
    query: RunQuery,
  ): Promise<{ items: ProvisioningRun[]; totalCount: number }> {
    const filtered = this.db('runs').where(builder => {
      if (query.owner) builder.where('owner', query.owner);
      if (query.stackId) builder.where('stack_id', query.stackId);
      if (query.accountId) builder.where('account_id', query.accountId);
      if (query.region) builder.where('region', query.region);
      if (query.createdBy) builder.where('created_by', query.createdBy);
      if (query.entityRef) builder.where('entity_ref', query.entityRef);
      if (query.templateRef) builder.where('template_ref', query.templateRef);
      if (query.status) builder.where('status', query.status);
      if (query.environment) builder.where('environment', query.environment);
      if (query.allowed) whereCriteria(builder, query.allowed);
      if (query.text) {
        const like = `%${query.text.toLowerCase()}%`;
        builder.where(b =>
          b
            .whereRaw('lower(stack_name) like ?', [like])
            .orWhereRaw('lower(stack_id) like ?', [like]),
        );
      }
    });
    const [{ count }] = await filtered.clone().count({ count: '*' });
    const rows = await filtered
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(query.limit)
      .offset(query.offset);
    return { items: rows.map(toRun), totalCount: Number(count) };
  }

  /**
   * Each stack's most recent run (by stack id, as the catalog names stacks), a page at a time in
   * stack id order, with the resources of each: what the catalog's provisioned resources are
   * made of, read without walking every run of the history.
   */
  async listLatestRuns(query: {
    allowed?: PermissionCriteria<StackPermissionQuery>;
    limit: number;
    offset: number;
  }): Promise<{
    items: { run: ProvisioningRun; resources: RunResource[] }[];
    totalCount: number;
  }> {
    const allowed = (builder: Knex.QueryBuilder) => {
      if (query.allowed) whereCriteria(builder, query.allowed);
    };
    const ranked = this.db('runs')
      .select(
        '*',
        this.db.raw(
          'row_number() over (partition by stack_id order by created_at desc, id asc) as recency',
        ),
      )
      .where(allowed);
    const [[{ count }], rows] = await Promise.all([
      this.db('runs').where(allowed).countDistinct({ count: 'stack_id' }),
      this.db
        .from(ranked.as('ranked'))
        .where('recency', 1)
        .orderBy('stack_id')
        .limit(query.limit)
        .offset(query.offset),
    ]);
    const resources = new Map<string, RunResource[]>();
    if (rows.length)
      for (const r of await this.db('run_resources')
        .whereIn(
          'run_id',
          rows.map((row: any) => row.id),
        )
        .orderBy(['run_id', 'resource']))
        resources.set(r.run_id, [
          ...(resources.get(r.run_id) ?? []),
          toResource(r),
        ]);
    return {
      items: rows.map((row: any) => ({
        run: toRun(row),
        resources: resources.get(row.id) ?? [],
      })),
      totalCount: Number(count),
    };
  }

  /** Runs still `running` that nothing has written to since `before`, oldest first. */
  async listQuietRuns(before: Date, limit = 50): Promise<ProvisioningRun[]> {
    const rows = await this.db('runs')
      .where({ status: 'running' })
      .andWhere('updated_at', '<', before)
      .orderBy('updated_at')
      .limit(limit);
    return rows.map(toRun);
  }

  /** Events after `after` (the cursor), in order. */
  async listEvents(
    runId: string,
    after: number,
    limit = 1000,
  ): Promise<ProvisioningEvent[]> {
    const rows = await this.db('run_events')
      .where({ run_id: runId })
      .andWhere('seq', '>', after)
      .orderBy('seq')
      .limit(limit);
    return rows.map(r => ({ ...JSON.parse(r.event), seq: Number(r.seq) }));
  }

  /**
   * Appends events numbered from the run's cursor on. Events at or below the cursor are retries
   * of stored ones and are skipped; a batch that starts past the next number would leave a gap and
   * is refused, so the log never has gaps or duplicates. Resource and run state follow the events.
   */
  async appendEvents(
    runId: string,
    events: ProvisioningEvent[],
  ): Promise<AppendResult> {
    let previousStatus: RunStatus = 'running';
    const appended = await this.db.transaction(async tx => {
      const run = await tx('runs').where({ id: runId }).forUpdate().first();
      if (!run) throw new NotFoundError(`No provisioning run with id ${runId}`);
      let lastSeq = Number(run.last_seq);
      const fresh = events
        .filter(e => e.seq! > lastSeq)
        .sort((a, b) => a.seq! - b.seq!);
      fresh.forEach((e, i) => {
        if (e.seq !== lastSeq + 1 + i) {
          throw new ConflictError(
            `Events must continue the log without gaps: expected seq ${
              lastSeq + 1 + i
            }, got ${e.seq}`,
          );
        }
      });
      previousStatus = run.status;
      if (!fresh.length) return [];
      await tx('run_events').insert(
        fresh.map(e => ({
          run_id: runId,
          seq: e.seq,
          event: JSON.stringify(e),
        })),
      );
      lastSeq = fresh[fresh.length - 1].seq!;

      const now = new Date();
      let status: RunStatus = run.status;
      let finishedAt = run.finished_at;
      let succeeded = false;
      for (const e of fresh) {
        if (RUN_END[e.status]) {
          succeeded ||= e.status === 'run-succeeded' && status !== 'succeeded';
          status = RUN_END[e.status];
          finishedAt = new Date(e.at);
        } else if (e.status === 'run-started') {
          // A retried task starts the same run again.
          status = 'running';
          finishedAt = null;
        }
        if (!e.resource) continue;
        const update: Record<string, unknown> = {
          status: e.status,
          updated_at: now,
        };
        if (e.outputs) update.outputs = JSON.stringify(e.outputs);
        if (e.error) update.error = e.error;
        update.detail = e.detail ?? null;
        const changed = await tx('run_resources')
          .where({ run_id: runId, resource: e.resource })
          .update(update);
        if (!changed) {
          await tx('run_resources').insert({
            run_id: runId,
            resource: e.resource,
            depends_on: '[]',
            ...update,
          });
        }
      }
      // The spec a run made real becomes its stack's desired state, with the run's success, and
      // its template and cost the stack's in the inventory.
      if (succeeded && status === 'succeeded' && run.spec) {
        const version = await StackVersionStore.recordSuccess(
          tx,
          run,
          finishedAt,
        );
        const made = {
          ...(run.template_ref ? { template_ref: run.template_ref } : {}),
          ...(run.monthly_cost !== null
            ? { monthly_cost: run.monthly_cost }
            : {}),
          ...(version
            ? { changed_by: run.created_by ?? null, changed_at: finishedAt }
            : {}),
        };
        if (Object.keys(made).length)
          await tx('stacks').where(stackKeyOfRun(run)).update(made);
      }
      if (status !== run.status)
        await tx('stacks')
          .where({ last_run_id: runId })
          .update({ last_run_status: status });
      await tx('runs')
        .where({ id: runId })
        .update({
          last_seq: lastSeq,
          status,
          finished_at: finishedAt ?? null,
          updated_at: now,
        });
      return fresh;
    });
    return { run: await this.getRun(runId), previousStatus, appended };
  }
}
