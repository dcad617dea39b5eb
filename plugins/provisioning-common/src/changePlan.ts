import type { StackSpec } from './stackSpec';
import type { AnyKindDefinition, FieldChange, StackResource } from './kinds';
import { BUILT_IN_RESOURCE_KINDS, ResourceKinds, cents } from './kinds';
import { type SpecChange, specChanges } from './versions';

/** What a new spec does to one resource of an existing stack. */
export type ResourceChangeAction =
  | 'none'
  | 'create'
  | 'update'
  | 'delete'
  | 'refused';

/** One resource in a change plan. */
export interface ResourceChange {
  resource: string;
  kind: string;
  action: ResourceChangeAction;
  /** The fields that change, relative to the resource (`instanceClass`), before and after. */
  changes: SpecChange[];
  /** Whether making the change interrupts the resource's service. */
  interrupts: boolean;
  /** Why the change cannot be made (action `refused`), each naming its field. */
  refusals: string[];
  monthlyCostBefore: number;
  monthlyCostAfter: number;
}

/**
 * What running a new spec of an existing stack would change, resource by resource, against the
 * stack's recorded desired state (its last version): computed before anything is changed.
 */
export interface ChangePlan {
  /** The version the plan starts from. */
  fromVersion: number;
  resources: ResourceChange[];
  monthlyCostBefore: number;
  monthlyCostAfter: number;
  /** Every refusal, as `resources.<name>.<field>: why`: the run is refused when there is any. */
  refusals: string[];
  /**
   * Set when the plan starts from what the cloud has, as the drift scan of this time found it,
   * rather than from the version as recorded: the run also reverts what changed outside
   * Konductor.
   */
  driftScannedAt?: string;
}

/** A recorded resource with its kind's current defaults applied (kinds gain fields over time). */
function normalized(
  definition: AnyKindDefinition | undefined,
  resource: StackResource,
): StackResource {
  const parsed = definition?.schema.safeParse(resource);
  return parsed?.success ? { ...parsed.data, kind: resource.kind } : resource;
}

function fieldVerdict(
  rule: FieldChange | undefined,
  change: SpecChange,
  kind: string,
): { refusal?: string; interrupts: boolean } {
  if (!rule)
    return {
      refusal: `Konductor does not change the ${change.path} of an existing ${kind} in place yet`,
      interrupts: false,
    };
  if (!rule.inPlace) return { refusal: rule.why, interrupts: false };
  const refusal = rule.refuses?.(change.before, change.after);
  const interrupts =
    typeof rule.interrupts === 'function'
      ? rule.interrupts(change.before, change.after)
      : !!rule.interrupts;
  return { refusal, interrupts };
}

/**
 * The change plan of `next` against the stack's last version (`current`, recorded with
 * `fromVersion`): per resource, no change, an update in place (its fields, whether it interrupts
 * service), a new resource, or a refusal that says why (a field its kind does not change in
 * place, a change its cloud refuses, a resource removed, which Konductor does not delete on a
 * re-run), with the monthly cost before and after. No cloud call.
 */
export function planChange(
  current: StackSpec,
  next: StackSpec,
  fromVersion: number,
  kinds: ResourceKinds = BUILT_IN_RESOURCE_KINDS,
): ChangePlan {
  const names = [
    ...new Set([
      ...Object.keys(current.resources),
      ...Object.keys(next.resources),
    ]),
  ].sort();
  const resources = names.map((resource): ResourceChange => {
    const [was, is] = [current.resources[resource], next.resources[resource]];
    const kind = (is ?? was).kind;
    const definition = kinds.get(kind);
    const cost = (r: StackResource | undefined) =>
      r && definition ? definition.plan(r).monthlyCost : 0;
    const base = {
      resource,
      kind,
      changes: [] as SpecChange[],
      interrupts: false,
      refusals: [] as string[],
      monthlyCostBefore: cost(was),
      monthlyCostAfter: cost(is),
    };
    if (!was) return { ...base, action: 'create' };
    if (!is || is.kind !== was.kind)
      return {
        ...base,
        action: 'refused',
        monthlyCostAfter: is ? base.monthlyCostAfter : 0,
        refusals: [
          `resources.${resource}: Konductor does not remove a resource from an existing stack yet (${
            is ? 'its kind changed' : 'it is not in the new spec'
          }): keep it as it is, or destroy the stack`,
        ],
      };
    const changes = specChanges(normalized(definition, was), is);
    if (!changes.length) return { ...base, action: 'none' };
    const rules = (definition?.changes ?? {}) as Record<string, FieldChange>;
    const verdicts = changes.map(c => ({
      ...fieldVerdict(rules[c.path.split('.')[0]], c, kind),
      path: c.path,
    }));
    const refusals = verdicts
      .filter(v => v.refusal)
      .map(v => `resources.${resource}.${v.path}: ${v.refusal}`);
    return {
      ...base,
      action: refusals.length ? 'refused' : 'update',
      changes,
      interrupts: verdicts.some(v => v.interrupts),
      refusals,
    };
  });
  return {
    fromVersion,
    resources,
    monthlyCostBefore: cents(
      resources.reduce((s, r) => s + r.monthlyCostBefore, 0),
    ),
    monthlyCostAfter: cents(
      resources.reduce((s, r) => s + r.monthlyCostAfter, 0),
    ),
    refusals: resources.flatMap(r => r.refusals),
  };
}

/**
 * The form parameter (a hidden boolean) of a template that can change the stacks it made: the
 * stack page's *Change* opens the template with the stack's values and this set, and the steps
 * that made what exists besides the stack (repository, catalog entry) are skipped. A template
 * without it offers no *Change*.
 */
export const STACK_CHANGE_PARAMETER = 'konductorChange';
