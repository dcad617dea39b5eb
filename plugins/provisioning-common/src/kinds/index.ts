import type { z } from 'zod/v3';
import { app } from './app';
import { cluster } from './cluster';
import { database } from './database';
import { network } from './network';
import { secrets } from './secrets';
import { RESOURCE_KINDS, ResourceKind } from './vocabulary';

export * from './vocabulary';
export type {
  PlannedFact,
  ReportProblem,
  ResourceKindDefinition,
  ResourcePlan,
} from './definition';
export { POSTGRES_VERSIONS } from './database';
export { DATABASE_SECRET_KEYS } from './secrets';
export { KUBERNETES_VERSIONS } from './cluster';

/** Every resource kind's definition: the one place each kind is described. */
export const RESOURCE_DEFINITIONS = {
  network,
  database,
  secrets,
  cluster,
  app,
};

/** The outputs a resource of kind `K` produces, as its definition types them. */
export type OutputsOf<K extends ResourceKind> = z.output<
  (typeof RESOURCE_DEFINITIONS)[K]['outputs']
>;

const byKind = <T>(value: (kind: ResourceKind) => T) =>
  Object.fromEntries(RESOURCE_KINDS.map(k => [k, value(k)])) as Record<
    ResourceKind,
    T
  >;

/** The outputs of each resource kind, which other resources can reference. */
export const RESOURCE_OUTPUTS = byKind(k =>
  Object.keys(RESOURCE_DEFINITIONS[k].outputs.shape),
);

/**
 * How long creating each kind of resource typically takes in AWS, in seconds: the prior of the
 * run page's time-remaining estimate, which rescales it by how fast the run's finished resources
 * actually were.
 */
export const TYPICAL_CREATE_SECONDS = byKind(
  k => RESOURCE_DEFINITIONS[k].typicalCreateSeconds,
);

/** The catalog `Resource` type each kind becomes. */
export const RESOURCE_CATALOG_TYPES = byKind(
  k => RESOURCE_DEFINITIONS[k].catalogType,
);
