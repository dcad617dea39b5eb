import type { z } from 'zod/v3';
import type { StackSpec } from '../stackSpec';
import type { ResourceKind } from './vocabulary';

/** Reports one problem of a spec: the field's path and what to change. */
export type ReportProblem = (path: string, message: string) => void;

/** A compliance fact a spec decides before anything exists, and the field that sets it. */
export interface PlannedFact {
  value: unknown;
  /** The spec field a developer changes to change the fact. */
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
 * Everything Konductor knows about a kind of resource, in one place that validation, plans,
 * costs, the run page, the compliance gate, the catalog and the providers' types read.
 */
export interface ResourceKindDefinition<
  K extends ResourceKind,
  Spec extends z.ZodTypeAny,
  Outputs extends z.AnyZodObject,
> {
  kind: K;
  /** What a template author writes under `resources.<kind>` (part of the stack's JSON Schema). */
  schema: Spec;
  /**
   * What the resource produces once ready: other resources reference these as `${<kind>.<name>}`
   * and its provider's handler must return exactly these (checked when it is compiled).
   */
  outputs: Outputs;
  /** What the resource waits for in `stack` (which holds it). */
  dependsOn(stack: StackSpec): ResourceKind[];
  /** Problems of the resource in `stack` that its schema alone cannot see. */
  validate(stack: StackSpec, problem: ReportProblem): void;
  /** What it will be created with, what it creates, and its monthly cost. */
  plan(spec: z.output<Spec>): ResourcePlan;
  /** How long creating it typically takes on AWS, in seconds (the run page's prior). */
  typicalCreateSeconds: number;
  /** The catalog `Resource` type it becomes. */
  catalogType: string;
  /** The compliance facts its spec decides, named as the compliance checks name them. */
  plannedFacts(spec: z.output<Spec>): Record<string, PlannedFact>;
}

/** Declares a kind's definition, keeping its exact types. */
export const defineKind = <
  K extends ResourceKind,
  Spec extends z.ZodTypeAny,
  Outputs extends z.AnyZodObject,
>(
  definition: ResourceKindDefinition<K, Spec, Outputs>,
) => definition;

/** Rounds to cents. */
export const cents = (n: number) => Math.round(n * 100) / 100;
