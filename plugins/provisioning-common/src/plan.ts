import { StackSpec } from './stackSpec';
import { definitionOf, dependenciesOf, topologicalOrder } from './validation';
import { BUILT_IN_RESOURCE_KINDS, ResourceKinds, cents } from './kinds';

/** One resource of a plan: what will be created, after what, at what monthly cost. */
export interface PlannedResource {
  /** The resource's name in the stack. */
  id: string;
  kind: string;
  dependsOn: string[];
  /** What the resource will be created with, in words a developer reads. */
  summary: string;
  /** The cloud resources behind it. */
  creates: string[];
  monthlyCost: number;
  /** How long creating it typically takes, in seconds (the run page's prior). */
  typicalCreateSeconds: number;
  /** The catalog `Resource` type it becomes. */
  catalogType: string;
}

/** The plan of a stack: resources in dependency order and the monthly cost estimate. */
export interface StackPlan {
  stack: string;
  environment: string;
  region: string;
  resources: PlannedResource[];
  /** Waves of resources (by name) that can be created in parallel, in order. */
  waves: string[][];
  monthlyCost: number;
  currency: 'USD';
}

/** The plan of a validated spec, computed by its kinds' definitions without any cloud call. */
export function planStack(
  spec: StackSpec,
  kinds: ResourceKinds = BUILT_IN_RESOURCE_KINDS,
): StackPlan {
  const resources = topologicalOrder(spec, kinds).map(name => {
    const definition = definitionOf(spec, name, kinds);
    return {
      id: name,
      kind: definition.kind,
      dependsOn: dependenciesOf(spec, name, kinds),
      ...definition.plan(spec.resources[name]),
      typicalCreateSeconds: definition.typicalCreateSeconds,
      catalogType: definition.catalogType,
    };
  });
  const waves: string[][] = [];
  const level = new Map<string, number>();
  for (const r of resources) {
    const l = Math.max(-1, ...r.dependsOn.map(d => level.get(d)!)) + 1;
    level.set(r.id, l);
    (waves[l] ??= []).push(r.id);
  }
  return {
    stack: spec.name,
    environment: spec.environment,
    region: spec.target.region,
    resources,
    waves,
    monthlyCost: cents(resources.reduce((sum, r) => sum + r.monthlyCost, 0)),
    currency: 'USD',
  };
}
