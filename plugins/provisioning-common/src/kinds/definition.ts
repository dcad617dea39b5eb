import type { z } from 'zod/v3';
import type { StackSpec } from '../stackSpec';

/**
 * Reports one problem of a resource: the field (relative to the resource, `''` for the resource
 * itself) and what to change.
 */
export type ReportProblem = (field: string, message: string) => void;

/** A compliance fact a spec decides before anything exists, and the field that sets it. */
export interface PlannedFact {
  value: unknown;
  /** The resource's field a developer changes to change the fact (`''`: the resource itself). */
  field: string;
}

/** What a resource of a kind will be, in the plan a developer reviews. */
export interface ResourcePlan {
  /** What the resource will be created with, in words a developer reads. */
  summary: string;
  /** The cloud resources behind it. */
  creates: string[];
  /** Estimated monthly cost in USD. */
  monthlyCost: number;
}

/**
 * How a change of one field of an existing resource is made: in place (the handler makes it on a
 * re-run, and says whether the service is interrupted while it does), or not at all, with why.
 * `refuses` may still refuse a particular change of a field changed in place (storage that
 * shrinks).
 */
export type FieldChange<T = unknown> =
  | {
      inPlace: true;
      /** Whether making the change interrupts the service (a restart, a failover). */
      interrupts?: boolean | ((before: T, after: T) => boolean);
      /** Why this particular change cannot be made, when it cannot. */
      refuses?: (before: T, after: T) => string | undefined;
    }
  | { inPlace: false; why: string };

/** One resource of a validated stack: its kind and its fields with every default applied. */
export interface StackResource {
  kind: string;
  [field: string]: unknown;
}

/** What a kind's definition sees of one of its resources and the stack around it. */
export interface ResourceInStack<Spec> {
  /** The resource's name in the stack. */
  name: string;
  spec: Spec;
  stack: StackSpec;
  /** The names of the stack's resources of `kind`. */
  named(kind: string): string[];
  /** The outputs a resource of the stack produces (by its kind), undefined when there is none. */
  outputsOf(name: string): string[] | undefined;
  /** The secret values a resource of the stack holds (by its kind); none is an empty list. */
  secretsOf(name: string): readonly string[];
}

/**
 * Everything Konductor knows about a kind of resource, in one place that validation, plans,
 * costs, the run page, the compliance gate, the catalog and the providers' types read. Modules
 * add kinds by registering a definition with its handlers (see provisioning-node's
 * `provisioningResourcesExtensionPoint`).
 */
export interface ResourceKindDefinition<
  K extends string,
  Spec extends z.ZodTypeAny,
  Outputs extends z.AnyZodObject,
> {
  kind: K;
  /** What it is, in a few words: "a PostgreSQL database". */
  title: string;
  /** What a template author writes for a resource of the kind (part of the stack's JSON Schema). */
  schema: Spec;
  /**
   * What the resource produces once ready: other resources reference these as
   * `${<name>.<output>}` and its provider's handler must return exactly these (checked when it
   * is compiled).
   */
  outputs: Outputs;
  /**
   * Secret values the resource holds (in its cloud's secret store, never among its outputs): an
   * app receives one as an environment variable with `secretEnv: { NAME: "<resource>.<key>" }`,
   * read by the handler's `secretValue`.
   */
  secrets?: readonly string[];
  /** Whether a stack holds at most one resource of the kind. */
  onePerStack?: boolean;
  /**
   * Kinds a resource needs in its stack: the stack's one resource of each becomes a dependency
   * (none, or several, is a problem of the spec).
   */
  requires?: readonly string[];
  /** Further resources it waits for, by name (those its fields refer to). */
  dependsOn?(resource: ResourceInStack<z.output<Spec>>): string[];
  /** Problems of the resource that its schema alone cannot see. */
  validate?(
    resource: ResourceInStack<z.output<Spec>>,
    problem: ReportProblem,
  ): void;
  /** What it will be created with, what it creates, and its monthly cost. */
  plan(spec: z.output<Spec>): ResourcePlan;
  /** How long creating it typically takes on AWS, in seconds (the run page's prior). */
  typicalCreateSeconds: number;
  /** The catalog `Resource` type it becomes; the compliance checks select on it. */
  catalogType: string;
  /** The compliance facts its spec decides, named as the compliance checks name them. */
  plannedFacts?(spec: z.output<Spec>): Record<string, PlannedFact>;
  /**
   * How a change of each field of an existing resource is made (see {@link FieldChange}). A
   * field not named here is not changed in place: a change plan refuses it.
   */
  changes?: {
    [F in keyof z.output<Spec>]?: FieldChange<z.output<Spec>[F]>;
  };
}

/** A definition of any kind, as registries hold them. */
export type AnyKindDefinition = ResourceKindDefinition<
  string,
  z.ZodTypeAny,
  z.AnyZodObject
>;

/** The spec of a resource of the kind `D` defines, with defaults applied. */
export type SpecOf<D extends AnyKindDefinition> = z.output<D['schema']> & {
  kind: D['kind'];
};
/** The outputs a resource of the kind `D` defines produces. */
export type OutputsOf<D extends AnyKindDefinition> = z.output<D['outputs']>;

/** Declares a kind's definition, keeping its exact types. */
export const defineKind = <
  K extends string,
  Spec extends z.ZodTypeAny,
  Outputs extends z.AnyZodObject,
>(
  definition: ResourceKindDefinition<K, Spec, Outputs>,
) => definition;

/** Rounds to cents. */
export const cents = (n: number) => Math.round(n * 100) / 100;
