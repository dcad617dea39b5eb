/**
 * Konductor's provisioning vocabulary shared by backend and frontend: the stack specification,
 * its validation, plans and cost estimates, and provisioning events.
 *
 * @packageDocumentation
 */
export * from './stackSpec';
export * from './kinds';
export * from './validation';
export * from './plan';
export * from './prices';
export * from './events';
export { stackSpecJsonSchema, stackSpecJsonSchemaOf } from './jsonSchema';
export * from './runs';
export * from './stacks';
export * from './inventory';
export * from './budgets';
export * from './approvals';
export * from './changeWindows';
export { csvLine } from './csv';
export * from './expiry';
export * from './versions';
export * from './changePlan';
export * from './drift';
export { ProvisioningClient } from './client';
export * from './permissions';
export * from './publications';
export type { ProvisioningClientOptions } from './client';
export * from './kubernetesReleases';
export { repoNameProblem } from './naming';
export * from './annotations';
export * from './charts';
export * from './patternWords';
export * from './formWords';
