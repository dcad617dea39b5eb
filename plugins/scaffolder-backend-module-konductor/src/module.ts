import {
  BackstageCredentials,
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { scaffolderAutocompleteExtensionPoint } from '@backstage/plugin-scaffolder-node/alpha';
import { githubFor, repositoryAvailability } from './actions/githubClient';
import { ProvisioningClient } from '@konductor/plugin-provisioning-common';
import {
  awsClientFactoryServiceRef,
  BackendProvisioningReporter,
  CloudProviderFactory,
  CloudProviders,
  EntityNames,
  fetchWithTimeout,
  provisioningCloudProvidersExtensionPoint,
  provisioningResourceKindsExtensionPoint,
  ResourceKindModule,
} from '@konductor/plugin-provisioning-node';
import { CHECKS } from '@konductor/plugin-compliance-common';
import {
  awsProviderFromConfig,
  gitopsFromConfig,
} from './awsProviderFromConfig';
import { minimumLevelsFromConfig } from './minimumLevels';
import { DriftScanner, startDriftScans } from './driftScans';
import { ManualWaits } from './manualWaits/ManualWaits';
import { resumeManualWaits } from './manualWaits/resumeManualWaits';
import { scaffolderRetry } from './manualWaits/retryTask';
import { createGithubRepoProvisionAction } from './actions/githubRepoProvision';
import {
  createJiraIssueCreateAction,
  JiraClient,
} from './actions/jiraIssueCreate';
import { createStackDestroyAction } from './actions/stackDestroy';
import { createAppRollbackAction } from './actions/appRollback';
import { createComplianceCheckAction } from './actions/complianceCheck';
import { createStackOutputsAction } from './actions/stackOutputs';
import { withReadableFailures } from './actions/readableFailures';
import {
  createStackProvisionAction,
  createStackReserveAction,
} from './actions/stackProvision';

/**
 * Adds Konductor's actions to the scaffolder and its drift scans (where the resource kinds'
 * handlers are), and provides the extension points through which other modules of the
 * scaffolder add resource kinds and cloud providers.
 */
export const scaffolderModuleKonductor = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'konductor',
  register(reg) {
    const modules: ResourceKindModule[] = [];
    reg.registerExtensionPoint(provisioningResourceKindsExtensionPoint, {
      addResourceKind(...kinds) {
        modules.push(...kinds);
      },
    });
    const factories: CloudProviderFactory[] = [];
    reg.registerExtensionPoint(provisioningCloudProvidersExtensionPoint, {
      addCloudProvider(...providers) {
        factories.push(...providers);
      },
    });
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        autocomplete: scaffolderAutocompleteExtensionPoint,
        config: coreServices.rootConfig,
        awsClients: awsClientFactoryServiceRef,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        logger: coreServices.logger,
        permissions: coreServices.permissions,
        catalog: catalogServiceRef,
        scheduler: coreServices.scheduler,
        database: coreServices.database,
        events: eventsServiceRef,
      },
      async init({
        scaffolder,
        autocomplete,
        config,
        awsClients,
        discovery,
        auth,
        logger,
        permissions,
        catalog,
        scheduler,
        database,
        events,
      }) {
        const integrations = ScmIntegrations.fromConfig(config);
        const githubCredentialsProvider =
          DefaultGithubCredentialsProvider.fromIntegrations(integrations);
        // The repository name field asks whether a name is free as you type.
        autocomplete.addAutocompleteProvider({
          id: 'konductor',
          handler: repositoryAvailability(
            integrations,
            githubCredentialsProvider,
          ),
        });
        // Apps go through git and the platform's Argo CD when the portal is configured so.
        const gitops = gitopsFromConfig(config, repoUrl =>
          githubFor(repoUrl, integrations, githubCredentialsProvider, logger),
        );
        const providers = new CloudProviders([
          awsProviderFromConfig(config, awsClients, modules, gitops),
          ...factories.map(f => f.create(modules)),
        ]);
        const checks = [...CHECKS, ...modules.flatMap(m => m.checks ?? [])];
        for (const provider of providers.list())
          logger.info(
            `Cloud provider ${provider.id}, resource kinds: ${provider.kinds
              .list()
              .map(d => d.kind)
              .join(', ')}`,
          );
        // A client of the provisioning backend calling on behalf of `credentials`.
        const provisioningAs = (
          credentials: () => Promise<BackstageCredentials>,
        ) =>
          new ProvisioningClient({
            discovery,
            fetch: fetchWithTimeout(),
            token: async () =>
              (
                await auth.getPluginRequestToken({
                  onBehalfOf: await credentials(),
                  targetPluginId: 'provisioning',
                })
              ).token,
          });
        // The provisioning backend as this platform's service: every run's events (with a service
        // token per request) and the stacks' leases.
        const platform = provisioningAs(() => auth.getOwnServiceCredentials());
        const reporter = new BackendProvisioningReporter({
          logger,
          client: platform,
        });
        const accounts = config
          .getOptionalConfigArray('konductor.provisioning.accounts')
          ?.map(a => ({
            provider: a.getOptionalString('provider'),
            accountId: a.getString('accountId'),
            regions: a.getStringArray('regions'),
          }));
        // Production fails closed: without accounts nothing is provisioned, and the log says why.
        if (!accounts?.length)
          logger.warn(
            'konductor.provisioning.accounts is not configured: konductor:stack:provision refuses every stack until accounts are listed there',
          );
        // Every stack's resources compared with its desired state, on a schedule and on request.
        await startDriftScans({
          scanner: new DriftScanner({ providers, platform, logger }),
          scheduler,
          events,
          config,
          logger,
        });
        // Tasks that wait for a Jira ticket end, holding no worker; a sweep resumes each one
        // once its ticket is done.
        const jira = JiraClient.fromConfig(config);
        const waits = await ManualWaits.create(database);
        if (jira) {
          const seconds =
            config.getOptionalNumber('konductor.jira.intervalSeconds') ?? 30;
          const retry = scaffolderRetry({ auth, discovery });
          await scheduler.scheduleTask({
            id: 'konductor-manual-waits',
            scope: 'global',
            frequency: { seconds },
            timeout: { minutes: 5 },
            initialDelay: { seconds },
            fn: () => resumeManualWaits({ waits, jira, retry, logger }),
          });
        }
        const minimumLevels = minimumLevelsFromConfig(config);
        // The provisioning backend as the task's user: stack claims, owners, outputs.
        const asUser = (credentials: BackstageCredentials) =>
          provisioningAs(async () => credentials);
        // Task messages name people and teams as the catalog presents them.
        const entityNames = new EntityNames({ catalog, auth, logger });
        const names = (refs: string[]) => entityNames.of(refs);
        const stackOptions = {
          providers,
          reporter,
          stacks: asUser,
          platform,
          accounts,
          minimumLevels,
          checks,
          names,
        };
        const actions = [
          createComplianceCheckAction({ minimumLevels, providers, checks }),
          createStackProvisionAction(stackOptions),
          createStackReserveAction(stackOptions),
          createStackDestroyAction({
            providers,
            reporter,
            stacks: asUser,
            platform,
            permissions,
            names,
          }),
          createAppRollbackAction({
            providers,
            stacks: asUser,
            platform,
            permissions,
            names,
          }),
          // Read as the task's user: the provisioning backend's permissions decide what they see.
          createStackOutputsAction({ client: asUser, names }),
          createGithubRepoProvisionAction({
            integrations,
            catalog,
            githubCredentialsProvider,
            author: {
              name: config.getOptionalString('scaffolder.defaultAuthor.name'),
              email: config.getOptionalString('scaffolder.defaultAuthor.email'),
            },
          }),
          createJiraIssueCreateAction({ jira, waits }),
        ];
        scaffolder.addActions(
          ...actions.map(action => withReadableFailures(action, logger)),
        );
      },
    });
  },
});
