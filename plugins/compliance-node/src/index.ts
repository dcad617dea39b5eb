/**
 * For backend modules of Konductor's compliance backend: the fact source interface and the
 * extension points through which a module adds fact sources and checks.
 *
 * @packageDocumentation
 */
import type { Entity } from '@backstage/catalog-model';
import type { JsonValue } from '@backstage/types';
import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { ComplianceCheck } from '@konductor/plugin-compliance-common';

/**
 * Reads some facts about the entities it applies to (a cloud's describe calls, a repository's
 * settings...). The checks read facts by name, so a source for another cloud provides the same
 * names (`rds.storageEncrypted`) for the entities it applies to.
 */
export interface FactSource {
  /** Shown as each fact's source in the evidence. */
  id: string;
  /** The facts it provides; all of them are reported as errors when it fails. */
  facts: string[];
  appliesTo(entity: Entity): boolean;
  read(entity: Entity): Promise<Record<string, JsonValue>>;
}

/** Adds fact sources to the compliance backend's evaluator. */
export interface ComplianceFactSourcesExtensionPoint {
  addFactSource(...sources: FactSource[]): void;
}

/**
 * The extension point of the compliance backend's fact sources, for modules of the `compliance`
 * plugin: `env.registerInit({ deps: { sources: complianceFactSourcesExtensionPoint }, ... })`.
 */
export const complianceFactSourcesExtensionPoint =
  createExtensionPoint<ComplianceFactSourcesExtensionPoint>({
    id: 'compliance.fact-sources',
  });

/** Adds checks to the compliance backend (those of a resource kind a module adds, say). */
export interface ComplianceChecksExtensionPoint {
  /** Each check's id must be new: Konductor's own and other modules' ids are refused. */
  addChecks(...checks: ComplianceCheck[]): void;
}

/**
 * The extension point of the compliance backend's checks, for modules of the `compliance`
 * plugin: the checks evaluate the catalog entities they apply to, are listed by `/controls`, may
 * be exempted and appear in the exports, as Konductor's own do.
 */
export const complianceChecksExtensionPoint =
  createExtensionPoint<ComplianceChecksExtensionPoint>({
    id: 'compliance.checks',
  });
