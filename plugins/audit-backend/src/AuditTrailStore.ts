import type { Knex } from 'knex';
import {
  auditQuerySchema,
  type AuditPage,
  type AuditRecord,
} from '@konductor/plugin-audit-common';
import type { z } from 'zod/v3';
import type { JsonValue } from '@backstage/types';
import { canonicalJson, changedPaths } from './policyChanges';

/** The Audit page's query, parsed (defaults applied). */
export type ParsedAuditQuery = z.output<typeof auditQuerySchema>;

/** An audited action as it is recorded (the record without its id). */
export type NewAuditRecord = Omit<AuditRecord, 'id'>;

/** Timestamps come back as Date (PostgreSQL), epoch milliseconds or a string (SQLite). */
function iso(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  const n = Number(v);
  return new Date(Number.isFinite(n) ? n : String(v)).toISOString();
}

function toRecord(row: any): AuditRecord {
  return {
    id: Number(row.id),
    at: iso(row.at),
    plugin: row.plugin,
    eventId: row.event_id,
    ...(row.action ? { action: row.action } : {}),
    severity: row.severity,
    status: row.status,
    ...(row.actor ? { actor: row.actor } : {}),
    ...(row.subject ? { subject: row.subject } : {}),
    ...(row.request_method
      ? { request: { method: row.request_method, url: row.request_url } }
      : {}),
    ...(row.meta ? { meta: JSON.parse(row.meta) } : {}),
    ...(row.error ? { error: row.error } : {}),
  };
}

/** A policy key's snapshot before any was recorded (no canonical JSON is empty). */
const NOT_RECORDED = '';

/**
 * The audit trail on SQLite or PostgreSQL: appended to, read newest first, pruned by age; with the
 * policy configuration last recorded, to record its changes.
 */
export class AuditTrailStore {
  constructor(private readonly db: Knex) {}

  async record(record: NewAuditRecord, db: Knex = this.db): Promise<void> {
    await db('audit_events').insert({
      at: new Date(record.at),
      plugin: record.plugin,
      event_id: record.eventId,
      action: record.action ?? null,
      severity: record.severity,
      status: record.status,
      actor: record.actor ?? null,
      subject: record.subject?.slice(0, 1000) ?? null,
      request_method: record.request?.method ?? null,
      request_url: record.request?.url ?? null,
      meta: record.meta ? JSON.stringify(record.meta) : null,
      error: record.error ?? null,
    });
  }

  private filtered(query: ParsedAuditQuery): Knex.QueryBuilder {
    return this.db('audit_events').where(builder => {
      if (query.actor) builder.where('actor', query.actor);
      if (query.plugin) builder.where('plugin', query.plugin);
      if (query.eventId) builder.where('event_id', query.eventId);
      if (query.status) builder.where('status', query.status);
      if (query.subject) {
        const like = `%${query.subject.toLowerCase()}%`;
        builder.where(b =>
          b
            .whereRaw('lower(subject) like ?', [like])
            .orWhereRaw('lower(meta) like ?', [like]),
        );
      }
      if (query.from) builder.where('at', '>=', new Date(query.from));
      if (query.to) builder.where('at', '<', new Date(query.to));
    });
  }

  /** A page of the records that match, newest first, with how many match. */
  async list(query: ParsedAuditQuery): Promise<AuditPage> {
    const filtered = this.filtered(query);
    const [[{ count }], rows] = await Promise.all([
      filtered.clone().count({ count: '*' }),
      filtered
        .clone()
        .orderBy([
          { column: 'at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(query.limit)
        .offset(query.offset),
    ]);
    return { items: rows.map(toRecord), totalCount: Number(count) };
  }

  /** Every record that matches, newest first, a page at a time (the CSV export). */
  async *all(
    query: ParsedAuditQuery,
    pageSize = 1000,
  ): AsyncGenerator<AuditRecord[]> {
    for (let offset = 0; ; offset += pageSize) {
      const { items } = await this.list({ ...query, limit: pageSize, offset });
      if (items.length) yield items;
      if (items.length < pageSize) return;
    }
  }

  /**
   * Records `value` as the policy configuration under `key`. When it differs from the one last
   * recorded, a `policy-change` record says what changed (action `baseline` the first time);
   * one conditional update decides which replica records it. Answers that record, if any.
   */
  async recordPolicy(
    key: string,
    value: JsonValue | undefined,
    at: Date,
  ): Promise<NewAuditRecord | undefined> {
    const json = canonicalJson(value);
    await this.db('policy_snapshots')
      .insert({ key, value: NOT_RECORDED, recorded_at: at })
      .onConflict('key')
      .ignore();
    const { value: previous } = await this.db('policy_snapshots')
      .where({ key })
      .first();
    if (previous === json) return undefined;
    return this.db.transaction(async tx => {
      const updated = await tx('policy_snapshots')
        .where({ key, value: previous })
        .update({ value: json, recorded_at: at });
      if (!updated) return undefined;
      const after = JSON.parse(json);
      const before =
        previous === NOT_RECORDED ? undefined : JSON.parse(previous);
      const record: NewAuditRecord = {
        at: at.toISOString(),
        plugin: 'audit',
        eventId: 'policy-change',
        action: before === undefined ? 'baseline' : 'change',
        severity: 'high',
        status: 'succeeded',
        subject: key,
        meta:
          before === undefined
            ? { after }
            : { changed: changedPaths(before, after), before, after },
      };
      await this.record(record, tx);
      return record;
    });
  }

  /** Deletes what ended before `before`; answers how many. */
  async prune(before: Date): Promise<number> {
    return this.db('audit_events').where('at', '<', before).delete();
  }
}
