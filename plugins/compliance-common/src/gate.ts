import type { StackSpec } from '@konductor/plugin-provisioning-common';
import { CheckResult, Facts, checksFor, runCheck } from './checks';
import type { Level } from './controls';

/** The catalog type each resource of a stack becomes (as the provisioned-resources provider names it). */
const TYPES = {
  database: 'aws-rds-postgres',
  secrets: 'aws-secret',
  cluster: 'aws-eks-cluster',
  app: 'kubernetes-deployment',
} as const;

/** The spec field each gate fact comes from: the path a developer changes. */
const FIELDS: Record<string, string> = {
  'rds.storageEncrypted': 'resources.database.encrypted',
  'rds.backupRetentionDays': 'resources.database.backupRetentionDays',
  'rds.multiAz': 'resources.database.multiAz',
  'rds.publiclyAccessible': 'resources.database',
  'rds.deletionProtection': 'resources.database.deletionProtection',
  'secrets.rotationDays': 'resources.secrets.rotationDays',
  'eks.secretsEncrypted': 'resources.cluster.encryptSecrets',
  'eks.logTypes': 'resources.cluster.logging',
  'eks.endpointPublicAccess': 'resources.cluster.publicEndpoint',
  'eks.version': 'resources.cluster.kubernetesVersion',
  'app.tls': 'resources.app.tls',
};

/** The facts a stack's resources will have, read from the spec itself. */
export function plannedFacts(
  spec: StackSpec,
  now: Date,
): Record<string, Facts> {
  const r = spec.resources;
  const fact = (value: unknown) => ({
    value: (value ?? null) as any,
    source: 'stack-spec',
    readAt: now.toISOString(),
  });
  const planned: Record<string, Facts> = {};
  if (r.database)
    planned.database = {
      'rds.storageEncrypted': fact(r.database.encrypted),
      'rds.backupRetentionDays': fact(r.database.backupRetentionDays),
      'rds.multiAz': fact(r.database.multiAz),
      // Konductor never makes a database public.
      'rds.publiclyAccessible': fact(false),
      'rds.deletionProtection': fact(r.database.deletionProtection),
    };
  if (r.secrets)
    planned.secrets = { 'secrets.rotationDays': fact(r.secrets.rotationDays) };
  if (r.cluster)
    planned.cluster = {
      'eks.secretsEncrypted': fact(r.cluster.encryptSecrets),
      'eks.logTypes': fact(r.cluster.logging),
      'eks.endpointPublicAccess': fact(r.cluster.publicEndpoint),
      'eks.version': fact(r.cluster.kubernetesVersion),
    };
  if (r.app) planned.app = { 'app.tls': fact(r.app.tls) };
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
  for (const [resource, facts] of Object.entries(plannedFacts(spec, now))) {
    const target = {
      kind: 'Resource',
      type: TYPES[resource as keyof typeof TYPES],
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
      fields: [...new Set(result.evidence.map(e => FIELDS[e.fact]))],
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
