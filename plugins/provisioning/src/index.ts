/**
 * Konductor's provisioning runs in the browser: `/provisioning` lists every run, each run's page
 * shows its resource graph, progress, outputs and event log live, and entity pages get a
 * "Provisioning" tab.
 *
 * @packageDocumentation
 */
export { provisioningPlugin as default } from './plugin';
export { provisioningApiRef } from './api';
