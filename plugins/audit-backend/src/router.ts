import express from 'express';
import Router from 'express-promise-router';
import { InputError, NotAllowedError } from '@backstage/errors';
import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  auditQuerySchema,
  auditReadPermission,
  type AuditRecord,
} from '@konductor/plugin-audit-common';
import { csvLine } from '@konductor/plugin-provisioning-common';
import type { AuditTrailStore } from './AuditTrailStore';

const CSV_COLUMNS: [string, (r: AuditRecord) => unknown][] = [
  ['at', r => r.at],
  ['actor', r => r.actor],
  ['plugin', r => r.plugin],
  ['event', r => r.eventId],
  ['action', r => r.action],
  ['subject', r => r.subject],
  ['status', r => r.status],
  ['severity', r => r.severity],
  ['request', r => (r.request ? `${r.request.method} ${r.request.url}` : '')],
  ['error', r => r.error],
  ['meta', r => (r.meta ? JSON.stringify(r.meta) : '')],
];

/** The audit trail's API: for holders of `konductor.audit.read` only. */
export async function createRouter(options: {
  trail: AuditTrailStore;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
}): Promise<express.Router> {
  const { trail, httpAuth, permissions } = options;
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  /** The request's query, once the caller is known to hold the permission. */
  async function authorizedQuery(req: express.Request) {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const [decision] = await permissions.authorize(
      [{ permission: auditReadPermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(
        'Only platform admins may read the audit trail',
      );
    const parsed = auditQuerySchema.safeParse(req.query);
    if (!parsed.success)
      throw new InputError(
        `Invalid query: ${parsed.error.issues
          .map(i => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      );
    return parsed.data;
  }

  router.get('/events', async (req, res) => {
    res.json(await trail.list(await authorizedQuery(req)));
  });

  router.get('/events/export.csv', async (req, res) => {
    const query = await authorizedQuery(req);
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="konductor-audit.csv"',
    });
    res.write(csvLine(CSV_COLUMNS.map(([h]) => h)));
    for await (const items of trail.all(query))
      res.write(
        items
          .map(item => csvLine(CSV_COLUMNS.map(([, value]) => value(item))))
          .join(''),
      );
    res.end();
  });

  return router;
}
