import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  CHECKS,
  CheckResult,
  ComplianceCheck,
  CheckStatus,
  EntityAttributes,
  EntityFilter,
  EntityStatus,
  Exemption,
  HistoryPoint,
  StatusCounts,
  StoredResult,
} from '@konductor/plugin-compliance-common';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

const migrationsDir = resolvePackagePath(
  '@konductor/plugin-compliance-backend',
  'migrations',
);

/** One entity's evaluation, as the evaluator hands it to the store. */
export interface EntityEvaluation extends EntityAttributes {
  results: CheckResult[];
  evaluatedAt: string;
}

/** Timestamps come back as Date (PostgreSQL), epoch milliseconds or a string (SQLite). */
function iso(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  const n = Number(v);
  return new Date(Number.isFinite(n) ? n : String(v)).toISOString();
}

/** Passed (or waived) checks out of those that count: pass, fail, error, waived. */
export function scoreOf(counts: StatusCounts): number | null {
  const good = (counts.pass ?? 0) + (counts.waived ?? 0);
  const all = good + (counts.fail ?? 0) + (counts.error ?? 0);
  return all ? Math.round((1000 * good) / all) / 10 : null;
}

export function countsOf(results: { status: CheckStatus }[]): StatusCounts {
  const counts: StatusCounts = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

const CHUNK = 200;

/** A where-clause: the entities (table or alias `table`) matching every set filter. */
/**
 * A filter of the store's queries: the API's filters, and the entities the caller may read in
 * the catalog (absent: all of them).
 */
export type StoreFilter = EntityFilter & { entityRefs?: string[] };

function matching(filter: StoreFilter, table: string) {
  return (q: Knex.QueryBuilder) => {
    if (filter.entityRefs) q.whereIn(`${table}.entity_ref`, filter.entityRefs);
    for (const key of ['owner', 'system', 'environment', 'level'] as const)
      if (filter[key]) q.where(`${table}.${key}`, filter[key]!);
    // Kinds match as the catalog matches them: component, Component.
    if (filter.kind)
      q.whereRaw('lower(??) = ?', [
        `${table}.kind`,
        filter.kind.toLocaleLowerCase('en-US'),
      ]);
  };
}

/** Results, history and exemptions of the compliance backend, on SQLite or PostgreSQL. */
export class ComplianceStore {
  private constructor(
    private readonly db: Knex,
    /** The checks, for their titles: Konductor's and those modules add. */
    private readonly checks: ComplianceCheck[],
  ) {}

  static async create(
    database: DatabaseService,
    checks: ComplianceCheck[] = CHECKS,
  ): Promise<ComplianceStore> {
    const client = await database.getClient();
    if (!database.migrations?.skip)
      await client.migrate.latest({ directory: migrationsDir });
    return new ComplianceStore(client, checks);
  }

  /**
   * Stores evaluations: each entity's row and results replace the previous ones; a check whose
   * status changed, and a score that changed, add a history point. A result that is an error
   * keeps the last result that was not.
   */
  async save(evaluations: EntityEvaluation[]): Promise<void> {
    for (let i = 0; i < evaluations.length; i += CHUNK) {
      const refs = evaluations.slice(i, i + CHUNK).map(e => e.entityRef);
      await this.db.transaction(async tx => {
        // An evaluation older than the one stored is not kept: it read older inputs (a batch
        // that began before an exemption was decided, and ended after its own evaluation). The
        // stored rows are locked (PostgreSQL; SQLite has one writer) in one order, so a save of
        // the same entities waits for this one and then reads what it wrote.
        const stored = new Map<string, number>();
        for (const row of await tx('compliance_entities')
          .whereIn('entity_ref', refs)
          .orderBy('entity_ref')
          .forUpdate()
          .select('entity_ref', 'evaluated_at'))
          stored.set(row.entity_ref, new Date(iso(row.evaluated_at)).getTime());
        const chunk = evaluations
          .slice(i, i + CHUNK)
          .filter(
            e =>
              new Date(e.evaluatedAt).getTime() >=
              (stored.get(e.entityRef) ?? -Infinity),
          );
        if (!chunk.length) return;
        const previous = new Map<string, any>();
        for (const row of await tx('compliance_results')
          .whereIn('entity_ref', refs)
          .select(
            'entity_ref',
            'check_id',
            'status',
            'message',
            'last_known',
            'evaluated_at',
          ))
          previous.set(`${row.entity_ref}\0${row.check_id}`, row);
        const previousScores = new Map<string, number | null>();
        for (const row of await tx('compliance_entities')
          .whereIn('entity_ref', refs)
          .select('entity_ref', 'score'))
          previousScores.set(row.entity_ref, row.score ?? null);

        const entityRows = [];
        const resultRows = [];
        const history = [];
        for (const e of chunk) {
          const counts = countsOf(e.results);
          const score = scoreOf(counts);
          entityRows.push({
            entity_ref: e.entityRef,
            kind: e.kind,
            type: e.type ?? null,
            owner: e.owner ?? null,
            system: e.system ?? null,
            environment: e.environment ?? null,
            level: e.level,
            etag: e.etag ?? null,
            score,
            counts: JSON.stringify(counts),
            evaluated_at: new Date(e.evaluatedAt),
          });
          if (
            !previousScores.has(e.entityRef) ||
            previousScores.get(e.entityRef) !== score
          )
            history.push({
              entity_ref: e.entityRef,
              check_id: null,
              status: null,
              score,
              at: new Date(e.evaluatedAt),
            });
          for (const r of e.results) {
            const before = previous.get(`${e.entityRef}\0${r.checkId}`);
            // An error keeps the last result that was not one.
            let lastKnown: string | null = null;
            if (r.status === 'error' && before && before.status !== 'error')
              lastKnown = JSON.stringify({
                status: before.status,
                message: before.message,
                evaluatedAt: iso(before.evaluated_at),
              });
            else if (r.status === 'error')
              lastKnown = before?.last_known ?? null;
            resultRows.push({
              entity_ref: e.entityRef,
              check_id: r.checkId,
              status: r.status,
              message: r.message,
              controls: JSON.stringify(r.controls),
              evidence: JSON.stringify(r.evidence),
              remediation: r.remediation ?? null,
              last_known: lastKnown,
              evaluated_at: new Date(e.evaluatedAt),
            });
            if (before?.status !== r.status)
              history.push({
                entity_ref: e.entityRef,
                check_id: r.checkId,
                status: r.status,
                score: null,
                at: new Date(e.evaluatedAt),
              });
          }
        }
        await tx('compliance_entities')
          .insert(entityRows)
          .onConflict('entity_ref')
          .merge();
        // Checks that no longer apply are dropped with the entity's old results.
        await tx('compliance_results')
          .whereIn(
            'entity_ref',
            chunk.map(e => e.entityRef),
          )
          .delete();
        for (let j = 0; j < resultRows.length; j += CHUNK)
          await tx('compliance_results').insert(resultRows.slice(j, j + CHUNK));
        for (let j = 0; j < history.length; j += CHUNK)
          await tx('compliance_history').insert(history.slice(j, j + CHUNK));
      });
    }
  }

  /**
   * Forgets entities that are not in `present` (gone from the catalog), as the catalog was read
   * from `listedFrom` on. An entity evaluated since then is kept: it may have entered the catalog
   * after the listing read past it (the entity page's *Evaluate now*, on this or another replica).
   */
  async retainOnly(present: Set<string>, listedFrom: Date): Promise<number> {
    const stored = await this.db('compliance_entities')
      .where('evaluated_at', '<', listedFrom)
      .pluck('entity_ref');
    const gone = stored.filter(ref => !present.has(ref));
    for (let i = 0; i < gone.length; i += CHUNK) {
      const refs = gone.slice(i, i + CHUNK);
      await this.db('compliance_results').whereIn('entity_ref', refs).delete();
      await this.db('compliance_entities').whereIn('entity_ref', refs).delete();
    }
    return gone.length;
  }

  /** The etag each entity had when last evaluated. */
  async etags(): Promise<Map<string, string | null>> {
    const rows = await this.db('compliance_entities').select(
      'entity_ref',
      'etag',
    );
    return new Map(rows.map(r => [r.entity_ref, r.etag]));
  }

  /** An entity's status, or NotFoundError when it has not been evaluated. */
  async getEntity(entityRef: string): Promise<EntityStatus> {
    const row = await this.db('compliance_entities')
      .where({ entity_ref: entityRef })
      .first();
    if (!row)
      throw new NotFoundError(
        `No compliance status for ${entityRef}: it is not in the catalog, or has not been evaluated yet`,
      );
    const results = await this.db('compliance_results')
      .where({ entity_ref: entityRef })
      .orderBy('check_id');
    return {
      ...attributesOf(row),
      score: row.score ?? null,
      counts: JSON.parse(row.counts),
      evaluatedAt: iso(row.evaluated_at),
      results: results.map(r => ({
        checkId: r.check_id,
        title: this.checks.find(c => c.id === r.check_id)?.title ?? r.check_id,
        status: r.status,
        message: r.message,
        controls: JSON.parse(r.controls),
        evidence: JSON.parse(r.evidence),
        ...(r.remediation ? { remediation: r.remediation } : {}),
        ...(r.last_known ? { lastKnown: JSON.parse(r.last_known) } : {}),
        evaluatedAt: iso(r.evaluated_at),
      })),
    };
  }

  /** An entity's history, oldest first: score changes, and status changes per check. */
  async history(entityRef: string, since?: Date): Promise<HistoryPoint[]> {
    const rows: any[] = await this.db('compliance_history')
      .where(q => {
        q.where({ entity_ref: entityRef });
        if (since) q.where('at', '>=', since);
      })
      .orderBy([{ column: 'at' }, { column: 'id' }]);
    return rows.map(r => ({
      ...(r.check_id ? { checkId: r.check_id, status: r.status } : {}),
      ...(r.score !== null && !r.check_id ? { score: r.score } : {}),
      at: iso(r.at),
    }));
  }

  /** Entities matching `filter`, with their attributes and counts. */
  async listEntities(
    filter: StoreFilter,
  ): Promise<
    (EntityAttributes & { score: number | null; counts: StatusCounts })[]
  > {
    const rows = await this.db('compliance_entities')
      .where(matching(filter, 'compliance_entities'))
      .orderBy('entity_ref');
    return rows.map(row => ({
      ...attributesOf(row),
      score: row.score ?? null,
      counts: JSON.parse(row.counts),
    }));
  }

  /** The results of the entities matching `filter`: check, status, controls, evidence. */
  async listResults(filter: StoreFilter): Promise<
    {
      entityRef: string;
      checkId: string;
      status: CheckStatus;
      controls: string[];
      message: string;
      evidence: StoredResult['evidence'];
      evaluatedAt: string;
    }[]
  > {
    const rows = await this.db('compliance_results as r')
      .join('compliance_entities as e', 'e.entity_ref', 'r.entity_ref')
      .where(matching(filter, 'e'))
      .select(
        'r.entity_ref',
        'r.check_id',
        'r.status',
        'r.controls',
        'r.message',
        'r.evidence',
        'r.evaluated_at',
      )
      .orderBy(['r.entity_ref', 'r.check_id']);
    return rows.map(r => ({
      entityRef: r.entity_ref,
      checkId: r.check_id,
      status: r.status,
      controls: JSON.parse(r.controls),
      message: r.message,
      evidence: JSON.parse(r.evidence),
      evaluatedAt: iso(r.evaluated_at),
    }));
  }

  /** Score changes of the entities matching `filter`, oldest first. */
  async scoreHistory(
    filter: StoreFilter,
  ): Promise<{ entityRef: string; score: number | null; at: string }[]> {
    const rows: any[] = await this.db('compliance_history as h')
      .join('compliance_entities as e', 'e.entity_ref', 'h.entity_ref')
      .whereNull('h.check_id')
      .where(matching(filter, 'e'))
      .select('h.entity_ref', 'h.score', 'h.at')
      .orderBy([{ column: 'h.at' }, { column: 'h.id' }]);
    return rows.map(r => ({
      entityRef: r.entity_ref,
      score: r.score ?? null,
      at: iso(r.at),
    }));
  }

  /** Records a requested exemption; it waives nothing until approved. */
  async createExemption(
    exemption: Pick<
      Exemption,
      'entityRef' | 'checkId' | 'justification' | 'expiresAt' | 'createdBy'
    >,
  ): Promise<Exemption> {
    const created: Exemption = {
      ...exemption,
      id: randomUUID(),
      status: 'requested',
      createdAt: new Date().toISOString(),
    };
    await this.db('compliance_exemptions').insert({
      id: created.id,
      entity_ref: created.entityRef,
      check_id: created.checkId,
      justification: created.justification,
      expires_at: new Date(created.expiresAt),
      status: created.status,
      created_by: created.createdBy,
      created_at: new Date(created.createdAt),
    });
    return created;
  }

  /** Approves a requested exemption; false when it was not (any longer) a request. */
  async approveExemption(
    id: string,
    approvedBy: string,
    comment?: string,
  ): Promise<boolean> {
    const changed = await this.db('compliance_exemptions')
      .where({ id, status: 'requested' })
      .update({
        status: 'approved',
        approved_by: approvedBy,
        approved_at: new Date(),
        approval_comment: comment ?? null,
      });
    return changed > 0;
  }

  /** Rejects a requested exemption, saying why; false when it was not (any longer) a request. */
  async rejectExemption(
    id: string,
    rejectedBy: string,
    comment: string,
  ): Promise<boolean> {
    const changed = await this.db('compliance_exemptions')
      .where({ id, status: 'requested' })
      .update({
        status: 'rejected',
        rejected_by: rejectedBy,
        rejected_at: new Date(),
        rejection_comment: comment,
      });
    return changed > 0;
  }

  /**
   * Exemptions, of one entity or all; with `activeAt`, only approved ones that have not expired
   * then (those that waive checks).
   */
  async listExemptions(
    options: { entityRef?: string; activeAt?: Date } = {},
  ): Promise<Exemption[]> {
    const rows = await this.db('compliance_exemptions')
      .where(q => {
        if (options.entityRef) q.where('entity_ref', options.entityRef);
        if (options.activeAt)
          q.where('expires_at', '>', options.activeAt).andWhere(
            'status',
            'approved',
          );
      })
      .orderBy('created_at');
    return rows.map(r => ({
      id: r.id,
      entityRef: r.entity_ref,
      checkId: r.check_id,
      justification: r.justification,
      expiresAt: iso(r.expires_at),
      status: r.status,
      createdBy: r.created_by,
      createdAt: iso(r.created_at),
      ...(r.approved_by
        ? {
            approvedBy: r.approved_by,
            approvedAt: iso(r.approved_at),
            ...(r.approval_comment
              ? { approvalComment: r.approval_comment }
              : {}),
          }
        : {}),
      ...(r.rejected_by
        ? {
            rejectedBy: r.rejected_by,
            rejectedAt: iso(r.rejected_at),
            rejectionComment: r.rejection_comment,
          }
        : {}),
    }));
  }

  async getExemption(id: string): Promise<Exemption> {
    const [found] = (await this.listExemptions()).filter(e => e.id === id);
    if (!found) throw new NotFoundError(`No exemption ${id}`);
    return found;
  }

  async deleteExemption(id: string): Promise<void> {
    const deleted = await this.db('compliance_exemptions')
      .where({ id })
      .delete();
    if (!deleted) throw new NotFoundError(`No exemption ${id}`);
  }
}

function attributesOf(row: any): EntityAttributes {
  return {
    entityRef: row.entity_ref,
    kind: row.kind,
    ...(row.type ? { type: row.type } : {}),
    ...(row.owner ? { owner: row.owner } : {}),
    ...(row.system ? { system: row.system } : {}),
    ...(row.environment ? { environment: row.environment } : {}),
    level: row.level,
    ...(row.etag ? { etag: row.etag } : {}),
  };
}
