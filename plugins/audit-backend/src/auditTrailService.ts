import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { AuditTrailStore } from './AuditTrailStore';

const migrationsDir = resolvePackagePath(
  '@konductor/plugin-audit-backend',
  'migrations',
);

/**
 * The audit trail's store, one per backend: every plugin's auditor writes to it, the audit plugin
 * reads it. Its database is the `audit` plugin's (`backend.database`, with its per-plugin
 * overrides), migrated before the first use.
 */
export const auditTrailServiceRef = createServiceRef<AuditTrailStore>({
  id: 'konductor.audit.trail',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.rootLogger,
        lifecycle: coreServices.rootLifecycle,
      },
      async factory({ config, logger, lifecycle }) {
        const database = DatabaseManager.fromConfig(config).forPlugin('audit', {
          logger,
          lifecycle,
        });
        const db = await database.getClient();
        if (!database.migrations?.skip)
          await db.migrate.latest({ directory: migrationsDir });
        return new AuditTrailStore(db);
      },
    }),
});
