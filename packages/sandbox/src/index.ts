/**
 * Konductor's sandbox: a local emulator of the AWS, GitHub, Jira and Kubernetes APIs Konductor
 * calls, over their real wire protocols, for the embedded setup and every test.
 *
 * @packageDocumentation
 */
export {
  startSandbox,
  DEFAULT_DURATIONS,
  DEFAULT_ARGOCD_TOKEN,
} from './startSandbox';
export type { Sandbox, SandboxOptions } from './startSandbox';
export type { SandboxResource } from './state';
export type { FaultRule, FaultKind } from './faults';
export type { SandboxDurations } from './types';
export {
  SANDBOX_USER,
  DEFAULT_ORG,
  DEFAULT_OAUTH_APP,
} from './github/identity';
export type { SandboxOrg, SandboxOAuthApp } from './github/identity';
export { POSTGRES_VERSIONS } from './aws/rds';
export { EKS_VERSIONS } from './aws/eks';
export { STARTER_IMAGE } from './kubernetes/images';
export { PLATFORM_HUB } from './platformHub';
export { knownFields } from './kubernetes/schema';
export { SANDBOX_SECRET_ACCESS_KEY } from './aws/sigv4';
export { githubTokenOf } from './github/signIn';
