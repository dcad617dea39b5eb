/**
 * Konductor's provisioning engine and cloud providers, for backend modules.
 *
 * @packageDocumentation
 */
export * from './provider';
export { provisionStack } from './engine';
export { destroyStack } from './destroy';
export { stackIdOf, StackProvisioningError } from './stackRun';
export type { Checkpoint, StackRunOptions } from './stackRun';
export { AwsProvider } from './aws/AwsProvider';
export * from './permissions';
export type { AwsProviderOptions } from './aws/AwsProvider';
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
