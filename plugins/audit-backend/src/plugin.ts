import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { auditReadPermission } from '@konductor/plugin-audit-common';
import { auditTrailServiceRef } from './auditTrailService';
import { createRouter } from './router';

const DAY_MS = 86_400_000;

/** The config keys whose changes are policy changes, unless `konductor.audit.policyKeys` says. */
const POLICY_KEYS = [
  'konductor.permissions',
  'konductor.provisioning.approvals',
  'konductor.provisioning.budgets',
  'konductor.provisioning.expiry',
  'konductor.compliance',
];

/**
 * The audit trail: served to admins, pruned after `konductor.audit.retentionDays`. At each start,
 * the policy configuration is recorded, and a change since the last start becomes a
 * `policy-change` record.
 */
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
        const started = new Date();
        for (const key of config.getOptionalStringArray(
          'konductor.audit.policyKeys',
        ) ?? POLICY_KEYS) {
          const change = await trail.recordPolicy(
            key,
            config.getOptional(key),
            started,
          );
          if (change?.action === 'change')
            logger.info(
              `Audit trail: policy ${key} changed since the last start (${(
                change.meta?.changed as string[]
              ).join(', ')})`,
            );
        }
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
