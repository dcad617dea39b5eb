import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { provisioningPermissions } from '@konductor/plugin-provisioning-common';
import {
  provisioningStackPermissionResourceRef,
  provisioningStackPermissionRules,
  stackPermissionResource,
} from '@konductor/plugin-provisioning-node';
import { createRouter } from './router';
import { provisioningDatabase } from './service/database';
import { RunStore } from './service/RunStore';
import { StackStore } from './service/StackStore';
import { StackAccess } from './service/StackAccess';

/** The provisioning backend: records who owns each stack and every provisioning run, and serves them. */
export const provisioningPlugin = createBackendPlugin({
  pluginId: 'provisioning',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        database: coreServices.database,
        logger: coreServices.logger,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        signals: signalsServiceRef,
        notifications: notificationService,
        events: eventsServiceRef,
      },
      async init({
        httpRouter,
        database,
        permissions,
        permissionsRegistry,
        ...services
      }) {
        const db = await provisioningDatabase(database);
        const stacks = new StackStore(db);
        // The permission backend resolves conditional decisions on stacks through this type.
        permissionsRegistry.addResourceType({
          resourceRef: provisioningStackPermissionResourceRef,
          permissions: provisioningPermissions,
          rules: Object.values(provisioningStackPermissionRules),
          getResources: async refs =>
            (await stacks.getByRefs(refs)).map(stack =>
              stack ? stackPermissionResource(stack) : undefined,
            ),
        });
        const access = new StackAccess(
          permissions,
          permissionsRegistry.getPermissionRuleset(
            provisioningStackPermissionResourceRef,
          ),
        );
        httpRouter.use(
          await createRouter({
            store: new RunStore(db),
            stacks,
            access,
            ...services,
          }),
        );
      },
    });
  },
});
