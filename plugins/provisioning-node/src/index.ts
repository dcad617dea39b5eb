/**
 * Konductor's provisioning engine and cloud providers, for backend modules.
 *
 * @packageDocumentation
 */
export * from './provider';
export { preflightProblems, provisionStack } from './engine';
export { destroyStack } from './destroy';
export { rollbackApp } from './rollback';
export { scanDrift } from './driftScan';
export { stackIdOf, StackProvisioningError } from './stackRun';
export * from './resourceKinds';
export * from './cloudProviders';
export type { Checkpoint, StackRunOptions } from './stackRun';
export { AwsProvider } from './aws/AwsProvider';
export * from './permissions';
export { EntityNames, refsOnly } from './EntityNames';
export type { NameOf, Names } from './EntityNames';
export type { AwsProviderOptions } from './aws/AwsProvider';
// For the AWS handlers of kinds that modules add.
export { AwsClients } from './aws/AwsClients';
export {
  errorName,
  ignoring,
  isAwsError,
  notFound,
  NOT_FOUND,
} from './aws/errors';
export type { AwsErrorKind } from './aws/errors';
export {
  adopt,
  cloudName,
  isOwned,
  nameSuffix,
  NotOwnedError,
  OWNERSHIP_TAGS,
  ownershipProblem,
  stackTags,
  tagList,
  tagRecord,
} from './aws/ownership';
export { removalOf, retryDependency } from './aws/removal';
export { refuseDifferences } from './aws/differences';
export type { Difference } from './aws/differences';
export { deleteSecurityGroup, securityGroup } from './aws/securityGroups';
export { password } from './aws/SecretsHandler';
export { ensureSecret } from './aws/ownSecret';
export type { MayDelete } from './aws/removal';
export {
  AwsClientFactory,
  awsClientFactoryServiceRef,
} from './aws/AwsClientFactory';
export type { AwsClientFactoryOptions, AwsRetry } from './aws/AwsClientFactory';
export { eksToken } from './aws/eksApi';
export { ResourceTimeoutError, CancelledError } from './waitFor';
export { CALL_TIMEOUT_MS, callSignal, fetchWithTimeout } from './timeouts';
export { BackendProvisioningReporter } from './reporter';
export type { ProvisioningReporter, ProvisioningRunInfo } from './reporter';
export { GithubGitOpsRepository } from './delivery/gitops';
export type {
  ArgoCdHub,
  GitOpsDelivery,
  GitOpsRepository,
} from './delivery/gitops';
export { ArgoCdClient, ArgoCdError } from './delivery/ArgoCdClient';
export { argoCdHubFromConfig, hubArgoCd } from './delivery/hub';
export type {
  ArgoCdApplication,
  ArgoCdResourceNode,
} from './delivery/ArgoCdClient';
