import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { awsProviderFromConfig } from './awsProviderFromConfig';
import { createGithubRepoProvisionAction } from './actions/githubRepoProvision';
import {
  createJiraIssueCreateAction,
  JiraClient,
} from './actions/jiraIssueCreate';
import { createStackDestroyAction } from './actions/stackDestroy';
import { createStackProvisionAction } from './actions/stackProvision';

/** Adds Konductor's actions to the scaffolder. */
export const scaffolderModuleKonductor = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'konductor',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ scaffolder, config }) {
        const integrations = ScmIntegrations.fromConfig(config);
        const provider = awsProviderFromConfig(config);
        scaffolder.addActions(
          createStackProvisionAction({ provider }),
          createStackDestroyAction({ provider }),
          createGithubRepoProvisionAction({
            integrations,
            githubCredentialsProvider:
              DefaultGithubCredentialsProvider.fromIntegrations(integrations),
            author: {
              name: config.getOptionalString('scaffolder.defaultAuthor.name'),
              email: config.getOptionalString('scaffolder.defaultAuthor.email'),
            },
          }),
          createJiraIssueCreateAction({ jira: JiraClient.fromConfig(config) }),
        );
      },
    });
  },
});
