/**
 * Konductor's audit trail vocabulary, shared by the audit backend, the policy and the Audit page.
 *
 * @packageDocumentation
 */
import { z } from 'zod/v3';
import { createPermission } from '@backstage/plugin-permission-common';
import type { JsonObject } from '@backstage/types';

/** Reading the audit trail: admins only in Konductor's policy. */
export const auditReadPermission = createPermission({
  name: 'konductor.audit.read',
  attributes: { action: 'read' },
});

/** The severities of Backstage's auditor events, least first. */
export const AUDIT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type AuditSeverity = (typeof AUDIT_SEVERITIES)[number];

/** One audited action that ended: who did what, on what, from which request, and how it ended. */
export interface AuditRecord {
  id: number;
  /** When it ended. */
  at: string;
  /** The plugin that audited it (`scaffolder`, `provisioning`, `compliance`, `catalog`, …). */
  plugin: string;
  /** The plugin's event id, such as `stack-claim` or `task`. */
  eventId: string;
  /** The event's own action, when it names one (the scaffolder's `actionType`: create, cancel…). */
  action?: string;
  severity: AuditSeverity;
  status: 'succeeded' | 'failed';
  /** The user's entity ref, or the calling service. */
  actor?: string;
  /** What it acted on: a stack ref, an entity ref, a run, a task or a template. */
  subject?: string;
  /** The request it came from. */
  request?: { method: string; url: string };
  /** The event's details, as the plugin gave them. */
  meta?: JsonObject;
  /** Why it failed. */
  error?: string;
}

/** Query of `GET /api/audit/events` (and of its CSV export). */
export const auditQuerySchema = z
  .object({
    actor: z.string().min(1).optional(),
    plugin: z.string().min(1).optional(),
    eventId: z.string().min(1).optional(),
    status: z.enum(['succeeded', 'failed']).optional(),
    /** Matched anywhere in the subject or the details (a stack's name finds its ref, and the tasks that named it). */
    subject: z.string().min(1).optional(),
    /** From this time, inclusive (ISO 8601). */
    from: z.string().datetime({ offset: true }).optional(),
    /** Before this time (ISO 8601). */
    to: z.string().datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();
export type AuditQuery = z.input<typeof auditQuerySchema>;

/** Answer of `GET /api/audit/events`: newest first. */
export interface AuditPage {
  items: AuditRecord[];
  totalCount: number;
}

/** A typed client of the audit backend, for the Audit page. */
export class AuditClient {
  constructor(
    private readonly options: {
      discovery: { getBaseUrl(pluginId: string): Promise<string> };
      fetch: typeof fetch;
    },
  ) {}

  private async get(path: string, query: AuditQuery): Promise<Response> {
    const params = new URLSearchParams(
      Object.entries(query)
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => [k, String(v)]),
    );
    const base = await this.options.discovery.getBaseUrl('audit');
    const res = await this.options.fetch(
      `${base}${path}${params.size ? `?${params}` : ''}`,
    );
    if (!res.ok) {
      const body = await res.json().catch(() => undefined);
      throw new Error(
        body?.error?.message ?? `The audit trail answered ${res.status}`,
      );
    }
    return res;
  }

  /** A page of the trail, newest first. */
  async list(query: AuditQuery): Promise<AuditPage> {
    return (await this.get('/events', query)).json();
  }

  /** Every record that matches, as CSV. */
  async exportCsv(query: AuditQuery): Promise<string> {
    const { limit: _limit, offset: _offset, ...filters } = query;
    return (await this.get('/events/export.csv', filters)).text();
  }
}
