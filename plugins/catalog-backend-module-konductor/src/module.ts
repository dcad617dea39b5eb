import {
  coreServices,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import {
  AnyKindDefinition,
  BUILT_IN_RESOURCE_KINDS,
  ProvisioningClient,
  DRIFT_REPORTED_TOPIC,
  RUN_FINISHED_TOPIC,
  definitionPublishPermission,
  definitionUnpublishPermission,
} from '@konductor/plugin-provisioning-common';
import { ServiceDefinitionProcessor } from './ServiceDefinitionProcessor';
import { TemplateFormWordsProcessor } from './TemplateFormWordsProcessor';
import { ProvisionedResourcesProvider } from './ProvisionedResourcesProvider';
import { EksClusterProvider } from './EksClusterProvider';
import { RefreshTrigger } from './RefreshTrigger';
import { DefinitionDependencies } from './serviceDefinition/DefinitionDependencies';
import { Publications } from './publishing/Publications';
import { PublicationGate } from './publishing/PublicationGate';
import { createPublicationsRouter } from './publishing/router';
import {
  awsClientFactoryServiceRef,
  definitionPublicationPermissionResourceRef,
  isPublisher,
  serviceDefinitionResourceKindsExtensionPoint,
} from '@konductor/plugin-provisioning-node';

/**
 * Konductor's catalog module: the ServiceDefinition kind and its generated Templates, and the
 * entities of what Konductor provisioned; template authors publish definitions and templates from
 * URLs (`/api/catalog/konductor/publications`). Other modules of the catalog give it the resource kinds
 * they add (`serviceDefinitionResourceKindsExtensionPoint`), so definitions are checked against
 * them too.
 */
export const catalogModuleKonductor = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'konductor',
  register(env) {
    const moduleKinds: AnyKindDefinition[] = [];
    env.registerExtensionPoint(serviceDefinitionResourceKindsExtensionPoint, {
      addResourceKind(...definitions) {
        moduleKinds.push(...definitions);
      },
    });
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        catalogApi: catalogServiceRef,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        events: eventsServiceRef,
        awsClients: awsClientFactoryServiceRef,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
      },
      async init({
        catalog,
        catalogApi,
        config,
        logger,
        scheduler,
        discovery,
        auth,
        events,
        awsClients,
        database,
        httpRouter,
        httpAuth,
        permissions,
        permissionsRegistry,
        auditor,
      }) {
        const appBaseUrl = config.getString('app.baseUrl').replace(/\/$/, '');
        // A definition's dependencies are looked up as it is processed, and looked at again every
        // few seconds on each replica, so that one appearing or disappearing shows at once.
        const dependencies = new DefinitionDependencies({
          catalog: catalogApi,
          auth,
          logger,
        });
        catalog.addProcessor(
          new ServiceDefinitionProcessor({
            appBaseUrl,
            kinds: BUILT_IN_RESOURCE_KINDS.with(...moduleKinds),
            dependencies,
          }),
        );
        catalog.addProcessor(new TemplateFormWordsProcessor());
        // Definitions and templates come from the configuration, or from URLs template authors
        // published.
        const publications = await Publications.create(database);
        catalog.addProcessor(
          new PublicationGate({
            publications,
            config,
            catalog: catalogApi,
            auth,
          }),
        );
        permissionsRegistry.addPermissions([definitionPublishPermission]);
        // Unpublishing is decided on the publication: the policy's condition names its publisher.
        permissionsRegistry.addResourceType({
          resourceRef: definitionPublicationPermissionResourceRef,
          permissions: [definitionUnpublishPermission],
          rules: [isPublisher],
          getResources: targets => publications.byTargets(targets),
        });
        httpRouter.use(
          createPublicationsRouter({
            publications,
            catalog: catalogApi,
            httpAuth,
            auth,
            permissions,
            publicationRules: permissionsRegistry.getPermissionRuleset(
              definitionPublicationPermissionResourceRef,
            ),
            auditor,
          }),
        );
        await scheduler.scheduleTask({
          id: 'konductor-definition-dependencies',
          scope: 'local',
          frequency: { seconds: 5 },
          timeout: { seconds: 60 },
          fn: async () => {
            await dependencies.check();
          },
        });

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
