import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { kubernetesFetcherExtensionPoint } from '@backstage/plugin-kubernetes-node';
import {
  argoCdHubFromConfig,
  awsClientFactoryServiceRef,
} from '@konductor/plugin-provisioning-node';
import { ArgoCdFetcher } from './ArgoCdFetcher';
import { PrivateClusters } from './PrivateClusters';
import { privateClusterProxy } from './privateClusterProxy';

/**
 * Backstage's Kubernetes plugin for the clusters Konductor creates, whose API endpoint is
 * private: their workloads (the fetcher) and the pod logs and events the Kubernetes tab asks its
 * proxy for, read through the platform's Argo CD. Clusters with a public endpoint are read as
 * Backstage reads them.
 */
export const kubernetesModuleKonductor = createBackendModule({
  pluginId: 'kubernetes',
  moduleId: 'konductor',
  register(reg) {
    reg.registerInit({
      deps: {
        fetchers: kubernetesFetcherExtensionPoint,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        http: coreServices.httpRouter,
        permissions: coreServices.permissions,
        auditor: coreServices.auditor,
        awsClients: awsClientFactoryServiceRef,
      },
      async init({
        fetchers,
        config,
        catalog,
        auth,
        httpAuth,
        http,
        permissions,
        auditor,
        awsClients,
      }) {
        const clusters = new PrivateClusters({
          catalog,
          auth,
          clients: awsClients,
          hub: argoCdHubFromConfig(config),
        });
        fetchers.addFetcher(
          async ({ getDefault }) =>
            new ArgoCdFetcher(await getDefault(), clusters),
        );
        // Modules start before their plugin: this router answers before Backstage's proxy.
        http.use(
          privateClusterProxy({
            clusters,
            permissions,
            httpAuth,
            auditor,
          }),
        );
      },
    });
  },
});
