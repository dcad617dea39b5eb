/**
 * The provisioning backend: runs, their resource graphs and event logs, served over HTTP with
 * live updates through signals.
 *
 * @packageDocumentation
 */
export { provisioningPlugin as default } from './plugin';
export { runChannel } from './service/RunLog';
