import {
  coreServices,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import {
  ProvisioningClient,
  DRIFT_REPORTED_TOPIC,
  RUN_FINISHED_TOPIC,
} from '@konductor/plugin-provisioning-common';
import { ServiceDefinitionProcessor } from './ServiceDefinitionProcessor';
import { ProvisionedResourcesProvider } from './ProvisionedResourcesProvider';
import { EksClusterProvider } from './EksClusterProvider';
import { RefreshTrigger } from './RefreshTrigger';
import { awsClientFactoryServiceRef } from '@konductor/plugin-provisioning-node';

/**
 * Konductor's catalog module: the ServiceDefinition kind and its generated Templates, and the
 * entities of what Konductor provisioned.
 */
export const catalogModuleKonductor = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'konductor',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        events: eventsServiceRef,
        awsClients: awsClientFactoryServiceRef,
      },
      async init({
        catalog,
        config,
        logger,
        scheduler,
        discovery,
        auth,
        events,
        awsClients,
      }) {
        const appBaseUrl = config.getString('app.baseUrl').replace(/\/$/, '');
        catalog.addProcessor(new ServiceDefinitionProcessor({ appBaseUrl }));

        const settings = config.getOptionalConfig('konductor.catalog');
        const defaultOwner =
          settings?.getOptionalString('defaultOwner') ??
          'group:default/platform-team';
        const provider = new ProvisionedResourcesProvider({
          logger,
          defaultOwner,
          appBaseUrl,
          client: new ProvisioningClient({
            discovery,
            token: async () =>
              (
                await auth.getPluginRequestToken({
                  onBehalfOf: await auth.getOwnServiceCredentials(),
                  targetPluginId: 'provisioning',
                })
              ).token,
          }),
        });
        catalog.addEntityProvider(provider);
        const schedule = settings?.has('schedule')
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
              settings.getConfig('schedule'),
            )
          : {
              frequency: { minutes: 10 },
              timeout: { minutes: 5 },
              initialDelay: { seconds: 15 },
            };
        await scheduler.scheduleTask({
          id: 'konductor-provisioned-resources',
          ...schedule,
          fn: () => provider.refresh(),
        });
        // EKS clusters of the configured accounts and regions, whoever created them.
        const eks = settings?.getOptionalConfigArray('eks.accounts') ?? [];
        if (eks.length) {
          const clusters = new EksClusterProvider({
            logger,
            defaultOwner,
            clients: awsClients,
            scopes: eks.map(account => ({
              accountId: account.getString('accountId'),
              regions: account.getStringArray('regions'),
            })),
          });
          catalog.addEntityProvider(clusters);
          await scheduler.scheduleTask({
            id: 'konductor-eks-clusters',
            ...(settings?.has('eks.schedule')
              ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
                  settings.getConfig('eks.schedule'),
                )
              : {
                  frequency: { minutes: 30 },
                  timeout: { minutes: 10 },
                  initialDelay: { seconds: 20 },
                }),
            fn: () => clusters.refresh(),
          });
        }

        // A run that ends changes what exists (its resources, and the clusters it created or
        // deleted), and a drift scan only what is tagged drifted: refresh at once rather than at
        // the next tick, and again after a refresh that is running, which may have read the runs
        // before this change.
        const trigger = new RefreshTrigger({ scheduler, logger });
        await events.subscribe({
          id: 'konductor-provisioned-resources',
          topics: [RUN_FINISHED_TOPIC, DRIFT_REPORTED_TOPIC],
          onEvent: async ({ topic }) => {
            void trigger.request('konductor-provisioned-resources');
            if (eks.length && topic === RUN_FINISHED_TOPIC)
              void trigger.request('konductor-eks-clusters');
          },
        });
      },
    });
  },
});
