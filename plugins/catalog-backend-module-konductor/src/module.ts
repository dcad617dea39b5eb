import { createBackendModule } from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { ServiceDefinitionProcessor } from './ServiceDefinitionProcessor';

/** Konductor's catalog module: the ServiceDefinition kind and its generated Templates. */
export const catalogModuleKonductor = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'konductor',
  register(env) {
    env.registerInit({
      deps: { catalog: catalogProcessingExtensionPoint },
      async init({ catalog }) {
        catalog.addProcessor(new ServiceDefinitionProcessor());
      },
    });
  },
});
