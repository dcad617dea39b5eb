import type { Knex } from 'knex';
import {
  auditQuerySchema,
  type AuditPage,
  type AuditRecord,
} from '@konductor/plugin-audit-common';
import type { z } from 'zod/v3';

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

/** The audit trail on SQLite or PostgreSQL: appended to, read newest first, pruned by age. */
export class AuditTrailStore {
  constructor(private readonly db: Knex) {}

  async record(record: NewAuditRecord): Promise<void> {
    await this.db('audit_events').insert({
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

  /** Deletes what ended before `before`; answers how many. */
  async prune(before: Date): Promise<number> {
    return this.db('audit_events').where('at', '<', before).delete();
  }
}
