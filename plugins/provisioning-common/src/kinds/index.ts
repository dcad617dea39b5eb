import { app } from './app';
import { cluster } from './cluster';
import { database } from './database';
import { network } from './network';
import { secrets } from './secrets';
import type { AnyKindDefinition } from './definition';

export * from './vocabulary';
export type {
  AnyKindDefinition,
  FieldChange,
  OutputsOf,
  PlannedFact,
  ReportProblem,
  ResourceInStack,
  ResourceKindDefinition,
  ResourcePlan,
  SpecOf,
  StackResource,
} from './definition';
export { defineKind, cents } from './definition';
export { DATABASE_SECRET_KEYS, POSTGRES_VERSIONS } from './database';
export { KUBERNETES_VERSIONS } from './cluster';
export { network, database, secrets, cluster, app };

/**
 * The resource kinds a stack may use: the built-in ones and those modules register. Validation,
 * plans, the compliance gate and the engine read a stack's resources through it.
 */
export class ResourceKinds {
  private readonly byKind = new Map<string, AnyKindDefinition>();

  constructor(definitions: Iterable<AnyKindDefinition>) {
    for (const definition of definitions) {
      if (this.byKind.has(definition.kind))
        throw new Error(
          `The resource kind '${definition.kind}' is registered twice`,
        );
      this.byKind.set(definition.kind, definition);
    }
  }

  /** These kinds and `definitions`. */
  with(...definitions: AnyKindDefinition[]): ResourceKinds {
    return new ResourceKinds([...this.byKind.values(), ...definitions]);
  }

  get(kind: string): AnyKindDefinition | undefined {
    return this.byKind.get(kind);
  }

  /** Every kind's definition, built-in ones first. */
  list(): AnyKindDefinition[] {
    return [...this.byKind.values()];
  }
}

/** The kinds every installation has: network, database, secrets, cluster, app. */
export const BUILT_IN_RESOURCE_KINDS = new ResourceKinds([
  network,
  database,
  secrets,
  cluster,
  app,
] as AnyKindDefinition[]);
