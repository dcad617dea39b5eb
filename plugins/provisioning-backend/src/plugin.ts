import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
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
        signals: signalsServiceRef,
      },
      async init({ httpRouter, httpAuth, database, logger, signals }) {
        const store = await RunStore.create(database);
        httpRouter.use(
          await createRouter({ store, httpAuth, signals, logger }),
        );
      },
    });
  },
});
