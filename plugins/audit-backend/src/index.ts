/**
 * Konductor's audit trail: the `audit` backend plugin, the auditor that records into it, and the
 * root service both use.
 *
 * @packageDocumentation
 */
export { auditPlugin as default } from './plugin';
export { auditorServiceFactory } from './auditorServiceFactory';
export { auditTrailServiceRef } from './auditTrailService';
export type { AuditTrailStore } from './AuditTrailStore';
