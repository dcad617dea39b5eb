import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { provisioningPermissions } from '@konductor/plugin-provisioning-common';
import { createRouter } from './router';
import { RunStore } from './service/RunStore';

/** The provisioning backend: records every provisioning run and serves it. */
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
      async init({ httpRouter, database, permissionsRegistry, ...services }) {
        permissionsRegistry.addPermissions(provisioningPermissions);
        const store = await RunStore.create(database);
        httpRouter.use(await createRouter({ store, ...services }));
      },
    });
  },
});
