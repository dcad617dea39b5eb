/**
 * Konductor's scaffolder actions: `konductor:stack:provision`, `konductor:stack:destroy`,
 * `konductor:stack:outputs`, `konductor:compliance:check`, `konductor:github:repo:provision` and
 * `konductor:jira:issue:create`.
 *
 * @packageDocumentation
 */
export { scaffolderModuleKonductor as default } from './module';
export { createStackProvisionAction } from './actions/stackProvision';
export { createStackDestroyAction } from './actions/stackDestroy';
export { createStackOutputsAction } from './actions/stackOutputs';
export { createComplianceCheckAction } from './actions/complianceCheck';
export { createGithubRepoProvisionAction } from './actions/githubRepoProvision';
export {
  createJiraIssueCreateAction,
  JiraClient,
} from './actions/jiraIssueCreate';
export { awsProviderFromConfig } from './awsProviderFromConfig';
