/**
 * Test utilities for kind modules and engine tests against the sandbox
 * (`@konductor/plugin-provisioning-node/testUtils`).
 */
export {
  checkpointStore,
  credentials,
  durations,
  dyingProvider,
  eventually,
  kubeClient,
  sandboxCounts,
  sandboxProvider,
} from './engineSandbox';
