/**
 * Konductor's compliance model: the NIST SP 800-53 rev 5 controls (with their FISMA baselines and
 * ISO/IEC 27001:2022 mappings), the checks as code, and the gate that evaluates a stack spec.
 *
 * @packageDocumentation
 */
export * from './controls';
export * from './checks';
export * from './gate';
export * from './permissions';
export * from './api';
