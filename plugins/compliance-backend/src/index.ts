/**
 * Konductor's compliance backend (pluginId `compliance`).
 *
 * @packageDocumentation
 */
export { compliancePlugin as default } from './plugin';
