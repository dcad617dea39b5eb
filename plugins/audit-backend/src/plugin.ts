import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { auditReadPermission } from '@konductor/plugin-audit-common';
import { auditTrailServiceRef } from './auditTrailService';
import { createRouter } from './router';

const DAY_MS = 86_400_000;

/** The audit trail: served to admins, pruned after `konductor.audit.retentionDays`. */
export const auditPlugin = createBackendPlugin({
  pluginId: 'audit',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        trail: auditTrailServiceRef,
      },
      async init({
        httpRouter,
        httpAuth,
        permissions,
        permissionsRegistry,
        scheduler,
        config,
        logger,
        trail,
      }) {
        permissionsRegistry.addPermissions([auditReadPermission]);
        httpRouter.use(await createRouter({ trail, httpAuth, permissions }));
        const retentionDays =
          config.getOptionalNumber('konductor.audit.retentionDays') ?? 365;
        await scheduler.scheduleTask({
          id: 'audit-retention',
          frequency: { hours: 24 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            const pruned = await trail.prune(
              new Date(Date.now() - retentionDays * DAY_MS),
            );
            if (pruned)
              logger.info(
                `Audit trail: deleted ${pruned} records older than ${retentionDays} days`,
              );
          },
        });
      },
    });
  },
});
