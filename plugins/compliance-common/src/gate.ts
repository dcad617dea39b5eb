import {
  RESOURCE_CATALOG_TYPES,
  RESOURCE_DEFINITIONS,
  RESOURCE_KINDS,
} from '@konductor/plugin-provisioning-common';
import type {
  PlannedFact,
  ResourceKind,
  StackSpec,
} from '@konductor/plugin-provisioning-common';
import { CheckResult, Facts, checksFor, runCheck } from './checks';
import type { Level } from './controls';

/**
 * The facts a stack's resources will have, read from the spec itself by each kind's definition,
 * with the spec field each comes from (the path a developer changes).
 */
export function plannedFacts(
  spec: StackSpec,
  now: Date,
): Record<string, { facts: Facts; fields: Record<string, string> }> {
  const planned: Record<
    string,
    { facts: Facts; fields: Record<string, string> }
  > = {};
  for (const kind of RESOURCE_KINDS) {
    const resource = spec.resources[kind];
    if (!resource) continue;
    const definition = RESOURCE_DEFINITIONS[kind] as {
      plannedFacts(r: unknown): Record<string, PlannedFact>;
    };
    const decided = Object.entries(definition.plannedFacts(resource));
    if (!decided.length) continue;
    planned[kind] = {
      facts: Object.fromEntries(
        decided.map(([name, f]) => [
          name,
          {
            value: (f.value ?? null) as any,
            source: 'stack-spec',
            readAt: now.toISOString(),
          },
        ]),
      ),
      fields: Object.fromEntries(decided.map(([name, f]) => [name, f.field])),
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
  now: Date = new Date(),
): GateVerdict {
  const ctx = {
    level: spec.complianceLevel,
    environment: spec.environment,
    now,
  };
  const results: GateVerdict['results'] = [];
  const planned = plannedFacts(spec, now);
  for (const [resource, { facts }] of Object.entries(planned)) {
    const target = {
      kind: 'Resource',
      type: RESOURCE_CATALOG_TYPES[resource as ResourceKind],
    };
    // Only what the spec decides: ownership and the like are the catalog's to evaluate.
    for (const check of checksFor(target))
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
