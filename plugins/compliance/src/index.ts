/**
 * Konductor's compliance frontend: the entity card and tab, and the `/compliance` dashboard.
 *
 * @packageDocumentation
 */
export { compliancePlugin as default } from './plugin';
export { complianceApiRef } from './api';
