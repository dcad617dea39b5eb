import { ResourceKind, StackSpec } from './stackSpec';
import { dependenciesOf, topologicalOrder } from './validation';
import { RESOURCE_DEFINITIONS, ResourcePlan } from './kinds';
import { cents } from './kinds/definition';

export { TYPICAL_CREATE_SECONDS } from './kinds';

/** The plan of one resource of the spec, by its kind's definition. */
function planOf(spec: StackSpec, kind: ResourceKind): ResourcePlan {
  const definition = RESOURCE_DEFINITIONS[kind] as {
    plan(resource: unknown): ResourcePlan;
  };
  return definition.plan(spec.resources[kind]);
}

/** One resource of a plan: what will be created, after what, at what monthly cost. */
export interface PlannedResource {
  id: ResourceKind;
  kind: ResourceKind;
  dependsOn: ResourceKind[];
  /** What the resource will be created with, in words a developer reads. */
  summary: string;
  /** The cloud resources behind it. */
  creates: string[];
  monthlyCost: number;
}

/** The plan of a stack: resources in dependency order and the monthly cost estimate. */
export interface StackPlan {
  stack: string;
  environment: string;
  region: string;
  resources: PlannedResource[];
  /** Waves of resources that can be created in parallel, in order. */
  waves: ResourceKind[][];
  monthlyCost: number;
  currency: 'USD';
}

/** The plan of a validated spec, computed without any cloud call. */
export function planStack(spec: StackSpec): StackPlan {
  const order = topologicalOrder(spec);
  const resources = order.map(kind => ({
    id: kind,
    kind,
    dependsOn: dependenciesOf(spec, kind),
    ...planOf(spec, kind),
  }));
  const waves: ResourceKind[][] = [];
  const level = new Map<ResourceKind, number>();
  for (const r of resources) {
    const l = Math.max(-1, ...r.dependsOn.map(d => level.get(d)!)) + 1;
    level.set(r.id, l);
    (waves[l] ??= []).push(r.id);
  }
  return {
    stack: spec.name,
    environment: spec.environment,
    region: spec.aws.region,
    resources,
    waves,
    monthlyCost: cents(resources.reduce((sum, r) => sum + r.monthlyCost, 0)),
    currency: 'USD',
  };
}
