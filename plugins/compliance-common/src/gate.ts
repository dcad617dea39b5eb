import {
  BUILT_IN_RESOURCE_KINDS,
  definitionOf,
} from '@konductor/plugin-provisioning-common';
import type {
  ResourceKinds,
  StackSpec,
} from '@konductor/plugin-provisioning-common';
import {
  CheckResult,
  ComplianceCheck,
  Facts,
  checksFor,
  runCheck,
} from './checks';
import type { Level } from './controls';

/** What the gate evaluates a spec with. */
export interface GateOptions {
  now?: Date;
  /** The kinds the spec's resources are of; default the built-in ones. */
  kinds?: ResourceKinds;
  /** The checks; default Konductor's (`CHECKS`), to which registered kinds add theirs. */
  checks?: ComplianceCheck[];
}

/** A resource's planned facts and the spec field each comes from. */
interface Planned {
  type: string;
  facts: Facts;
  fields: Record<string, string>;
}

/**
 * The facts a stack's resources will have, read from the spec itself by each kind's definition,
 * with the spec field each comes from (the path a developer changes), by resource name.
 */
export function plannedFacts(
  spec: StackSpec,
  now: Date,
  kinds: ResourceKinds = BUILT_IN_RESOURCE_KINDS,
): Record<string, Planned> {
  const planned: Record<string, Planned> = {};
  for (const [name, resource] of Object.entries(spec.resources)) {
    const definition = definitionOf(spec, name, kinds);
    const decided = Object.entries(definition.plannedFacts?.(resource) ?? {});
    if (!decided.length) continue;
    const path = `resources.${name}`;
    planned[name] = {
      type: definition.catalogType,
      facts: Object.fromEntries(
        decided.map(([fact, f]) => [
          fact,
          {
            value: (f.value ?? null) as any,
            source: 'stack-spec',
            readAt: now.toISOString(),
          },
        ]),
      ),
      fields: Object.fromEntries(
        decided.map(([fact, f]) => [
          fact,
          f.field ? `${path}.${f.field}` : path,
        ]),
      ),
    };
  }
  return planned;
}

/** One thing to change before the stack may be created. */
export interface Violation {
  resource: string;
  checkId: string;
  controls: string[];
  /** The spec fields to change. */
  fields: string[];
  message: string;
  remediation: string;
}

/** The gate's verdict on a stack spec. */
export interface GateVerdict {
  level: Level;
  environment: string;
  allowed: boolean;
  violations: Violation[];
  /** Every check run, per resource. */
  results: { resource: string; result: CheckResult }[];
}

/**
 * The compliance gate: evaluates the resources a stack spec would create against its compliance
 * level with the same checks that evaluate existing entities, before anything is created.
 */
export function evaluateStackSpec(
  spec: StackSpec,
  options: GateOptions = {},
): GateVerdict {
  const now = options.now ?? new Date();
  const ctx = {
    level: spec.complianceLevel,
    environment: spec.environment,
    now,
  };
  const results: GateVerdict['results'] = [];
  const planned = plannedFacts(spec, now, options.kinds);
  for (const [resource, { type, facts }] of Object.entries(planned)) {
    // Only what the spec decides: ownership and the like are the catalog's to evaluate.
    for (const check of checksFor({ kind: 'Resource', type }, options.checks))
      if (check.facts.every(f => f in facts))
        results.push({ resource, result: runCheck(check, facts, ctx) });
  }
  const violations = results
    .filter(({ result }) => result.status === 'fail')
    .map(({ resource, result }) => ({
      resource,
      checkId: result.checkId,
      controls: result.controls,
      fields: [
        ...new Set(result.evidence.map(e => planned[resource].fields[e.fact])),
      ],
      message: result.message,
      remediation: result.remediation!,
    }));
  return {
    level: spec.complianceLevel,
    environment: spec.environment,
    allowed: violations.length === 0,
    violations,
    results,
  };
}

/** The verdict's violations as one message: what to change, each with its control. */
export function describeViolations(verdict: GateVerdict): string {
  return `The stack breaks the ${verdict.level} compliance level in ${
    verdict.environment
  }: ${verdict.violations
    .map(
      v =>
        `${v.fields.join(', ')}: ${v.message} ${
          v.remediation
        } (${v.controls.join(', ')})`,
    )
    .join('; ')}`;
}
