import type { JsonValue } from '@backstage/types';
import { Level, inBaseline } from './controls';
import {
  eksSupportOn,
  newestEksVersion,
  specValueText,
} from '@konductor/plugin-provisioning-common';

/** The outcome of one check for one entity. `waived`: failed, but an exemption holds. */
export type CheckStatus =
  | 'pass'
  | 'fail'
  | 'not-applicable'
  | 'error'
  | 'waived';

/** One fact about an entity, with when and where it was read; or why it could not be. */
export interface Fact {
  value?: JsonValue;
  /** Where it was read: `catalog`, `provisioning`, `github`, `aws:rds`, `stack-spec`, ... */
  source: string;
  /** ISO timestamp. */
  readAt: string;
  /** Set when the source failed: the fact is unknown. */
  error?: string;
}

/** Facts by name, such as `rds.storageEncrypted`. */
export type Facts = Record<string, Fact>;

/** What a check is evaluated for. */
export interface CheckTarget {
  kind: string;
  type?: string;
  annotations?: Record<string, string>;
}

/** The evaluation's settings: the compliance level, the environment and the time. */
export interface CheckContext {
  level: Level;
  /** dev, staging or prod, when known. */
  environment?: string;
  now: Date;
}

/** A check's verdict on known facts. */
export interface Verdict {
  status: 'pass' | 'fail' | 'not-applicable';
  message: string;
}

/** A compliance check as code. */
export interface ComplianceCheck {
  id: string;
  title: string;
  /** The NIST SP 800-53 rev 5 controls it evidences. */
  controls: string[];
  /** The entities it applies to: any of `kinds`, then any of `types` and having `annotation`. */
  appliesTo: { kinds: string[]; types?: string[]; annotation?: string };
  /** The facts it reads. */
  facts: string[];
  /** What a developer does to make it pass. */
  remediation: string;
  evaluate(
    values: Record<string, JsonValue | undefined>,
    ctx: CheckContext,
  ): Verdict;
}

/** One check's result for one entity, with the facts it looked at. */
export interface CheckResult {
  checkId: string;
  title: string;
  controls: string[];
  status: CheckStatus;
  message: string;
  remediation?: string;
  evidence: ({ fact: string } & Fact)[];
}

const pass = (message: string): Verdict => ({ status: 'pass', message });
const fail = (message: string): Verdict => ({ status: 'fail', message });
const notApplicable = (message: string): Verdict => ({
  status: 'not-applicable',
  message,
});

/** A threshold per level; `undefined`: the level does not require it. */
const byLevel = <T>(low: T | undefined, moderate: T, high: T) => ({
  low,
  moderate,
  high,
});

const RESOURCE = ['Resource'];
const REPOSITORY = {
  kinds: ['Component'],
  annotation: 'github.com/project-slug',
};
const DATABASE = { kinds: RESOURCE, types: ['aws-rds-postgres'] };
const CLUSTER = {
  kinds: RESOURCE,
  types: ['aws-eks-cluster', 'kubernetes-cluster'],
};

const BACKUP_DAYS = byLevel(1, 7, 14);
const ROTATION_DAYS = byLevel(365, 90, 30);
const REQUIRED_REVIEWS = byLevel(1, 1, 2);
const LOG_TYPES = byLevel(
  ['audit'],
  ['api', 'audit'],
  ['api', 'audit', 'authenticator'],
);

/** Whether production rules apply: prod always, staging too at high. */
const isProductionLike = (ctx: CheckContext) =>
  ctx.environment === 'prod' ||
  (ctx.level === 'high' && ctx.environment === 'staging');

/** Every check Konductor runs. */
export const CHECKS: ComplianceCheck[] = [
  {
    id: 'ownership',
    title: 'Owner and lifecycle are set',
    controls: ['CM-8'],
    appliesTo: { kinds: ['Component', 'API', 'Resource', 'System'] },
    facts: ['entity.owner', 'entity.lifecycle'],
    remediation:
      'Set spec.owner to the group that answers for it (group:default/<team>), and spec.lifecycle for components and APIs.',
    evaluate(v) {
      if (!v['entity.owner']) return fail('No owner is set.');
      if (!/^(group|user):/.test(String(v['entity.owner'])))
        return fail(`Owner ${v['entity.owner']} is not a group or user.`);
      if (v['entity.lifecycle'] === '') return fail('Lifecycle is empty.');
      return pass(`Owned by ${v['entity.owner']}.`);
    },
  },
  {
    id: 'system-membership',
    title: 'Part of a system',
    controls: ['CM-8'],
    appliesTo: { kinds: ['Component', 'API', 'Resource'] },
    facts: ['entity.system'],
    remediation: 'Set spec.system to the system it belongs to.',
    evaluate: v =>
      v['entity.system']
        ? pass(`Part of ${v['entity.system']}.`)
        : fail('Not part of any system.'),
  },
  {
    id: 'documentation',
    title: 'Documented',
    controls: ['SA-5'],
    appliesTo: { kinds: ['Component', 'API', 'System'] },
    facts: ['entity.description', 'entity.docs', 'techdocs.site'],
    remediation:
      'Describe it in metadata.description, and at moderate and high publish its docs: add the backstage.io/techdocs-ref annotation (or a link to its documentation), with docs that build (mkdocs.yml and docs/index.md where the annotation points).',
    evaluate(v, ctx) {
      if (!v['entity.description']) return fail('No description.');
      if (ctx.level === 'low') return pass('Described.');
      if (!v['entity.docs'])
        return fail(
          `A description, but no documentation (required at ${ctx.level}).`,
        );
      // An annotation is not evidence: its TechDocs site must build.
      const site = v['techdocs.site'] as {
        built: boolean;
        reason?: string;
      } | null;
      if (site && !site.built)
        return fail(`Its TechDocs site does not build: ${site.reason}`);
      return pass(
        site
          ? 'Described, and its TechDocs site builds.'
          : 'Described, and linked to its documentation.',
      );
    },
  },
  {
    id: 'repo-branch-protection',
    title: 'Default branch protected with required reviews',
    controls: ['CM-3', 'CM-5'],
    appliesTo: REPOSITORY,
    facts: ['github.branchProtected', 'github.requiredReviews'],
    remediation:
      'Protect the default branch in the repository settings and require pull request reviews before merging.',
    evaluate(v, ctx) {
      const needed = REQUIRED_REVIEWS[ctx.level]!;
      if (!v['github.branchProtected'])
        return fail('The default branch is not protected.');
      const reviews = Number(v['github.requiredReviews'] ?? 0);
      return reviews >= needed
        ? pass(`Protected, ${reviews} required review(s).`)
        : fail(
            `Protected, but ${reviews} required review(s); ${ctx.level} requires ${needed}.`,
          );
    },
  },
  {
    id: 'repo-codeowners',
    title: 'CODEOWNERS file',
    controls: ['CM-5'],
    appliesTo: REPOSITORY,
    facts: ['github.codeowners'],
    remediation:
      'Add a CODEOWNERS file (in .github/, the root or docs/) naming who reviews each path.',
    evaluate: v =>
      v['github.codeowners']
        ? pass('CODEOWNERS present.')
        : fail('No CODEOWNERS file.'),
  },
  {
    id: 'repo-secret-scanning',
    title: 'Secret scanning and push protection',
    controls: ['IA-5', 'SI-4'],
    appliesTo: REPOSITORY,
    facts: ['github.secretScanning', 'github.pushProtection'],
    remediation:
      'Turn on secret scanning and push protection in the repository’s Code security settings.',
    evaluate(v) {
      const missing = [
        !v['github.secretScanning'] && 'secret scanning',
        !v['github.pushProtection'] && 'push protection',
      ].filter(Boolean);
      return missing.length
        ? fail(`Off: ${missing.join(', ')}.`)
        : pass('Secret scanning and push protection on.');
    },
  },
  {
    id: 'repo-vulnerability-alerts',
    title: 'Vulnerability alerts',
    controls: ['RA-5', 'SI-2'],
    appliesTo: REPOSITORY,
    facts: ['github.vulnerabilityAlerts'],
    remediation: 'Turn on Dependabot alerts for the repository.',
    evaluate: v =>
      v['github.vulnerabilityAlerts']
        ? pass('Dependabot alerts on.')
        : fail('Dependabot alerts off.'),
  },
  {
    id: 'db-encryption-at-rest',
    title: 'Database encrypted at rest',
    controls: ['SC-28'],
    appliesTo: DATABASE,
    facts: ['rds.storageEncrypted'],
    remediation:
      'Set resources.database.encrypted: true (a new, encrypted instance).',
    evaluate: v =>
      v['rds.storageEncrypted']
        ? pass('Storage encrypted.')
        : fail('Storage not encrypted.'),
  },
  {
    id: 'db-backup-retention',
    title: 'Database backups retained long enough',
    controls: ['CP-9'],
    appliesTo: DATABASE,
    facts: ['rds.backupRetentionDays'],
    remediation:
      'Set resources.database.backupRetentionDays to the level’s minimum or more (low 1, moderate 7, high 14).',
    evaluate(v, ctx) {
      const days = Number(v['rds.backupRetentionDays'] ?? 0);
      const needed = BACKUP_DAYS[ctx.level]!;
      return days >= needed
        ? pass(`Backups kept ${days} days (${ctx.level} requires ${needed}).`)
        : fail(
            `Backups kept ${days} days; ${ctx.level} requires at least ${needed}.`,
          );
    },
  },
  {
    id: 'db-multi-az',
    title: 'Production database in several availability zones',
    controls: ['CP-10'],
    appliesTo: DATABASE,
    facts: ['rds.multiAz'],
    remediation: 'Set resources.database.multiAz: true for production.',
    evaluate(v, ctx) {
      if (!isProductionLike(ctx) || ctx.level === 'low')
        return notApplicable(
          `Required for production at moderate and high (this is ${
            ctx.environment ?? 'an unknown environment'
          } at ${ctx.level}).`,
        );
      return v['rds.multiAz']
        ? pass('Multi-AZ standby.')
        : fail('Single availability zone.');
    },
  },
  {
    id: 'db-not-public',
    title: 'Database not publicly accessible',
    controls: ['SC-7', 'AC-3'],
    appliesTo: DATABASE,
    facts: ['rds.publiclyAccessible'],
    remediation:
      'Make the instance private (PubliclyAccessible false); reach it from inside its VPC.',
    evaluate: v =>
      v['rds.publiclyAccessible'] === false
        ? pass('Not publicly accessible.')
        : fail('Publicly accessible from the internet.'),
  },
  {
    id: 'db-deletion-protection',
    title: 'Production database protected from deletion',
    controls: ['CP-9'],
    appliesTo: DATABASE,
    facts: ['rds.deletionProtection'],
    remediation:
      'Set resources.database.deletionProtection: true for production.',
    evaluate(v, ctx) {
      if (!isProductionLike(ctx))
        return notApplicable(
          `Required for production (this is ${
            ctx.environment ?? 'an unknown environment'
          }).`,
        );
      return v['rds.deletionProtection']
        ? pass('Deletion protection on.')
        : fail('Deletion protection off.');
    },
  },
  {
    id: 'secrets-rotation',
    title: 'Secrets rotated',
    controls: ['IA-5(1)'],
    // The generated secrets, and each database's master password (rotated by RDS).
    appliesTo: {
      kinds: RESOURCE,
      types: ['aws-secret', 'aws-rds-postgres'],
    },
    facts: ['secrets.rotationDays'],
    remediation:
      'Rotate at the level’s maximum or more often (low 365, moderate 90, high 30 days): a database’s passwordRotationDays, or resources.secrets.rotationDays for generated secrets.',
    evaluate(v, ctx) {
      const days = v['secrets.rotationDays'];
      const most = ROTATION_DAYS[ctx.level]!;
      if (days === null || days === undefined)
        return fail(
          `Rotation off; ${ctx.level} requires at most ${most} days.`,
        );
      return Number(days) <= most
        ? pass(`Rotated every ${days} days (${ctx.level} allows ${most}).`)
        : fail(
            `Rotated every ${days} days; ${ctx.level} allows at most ${most}.`,
          );
    },
  },
  {
    id: 'eks-secrets-encryption',
    title: 'Kubernetes secrets encrypted with KMS',
    controls: ['SC-28'],
    appliesTo: CLUSTER,
    facts: ['eks.secretsEncrypted'],
    remediation: 'Set resources.cluster.encryptSecrets: true.',
    evaluate: v =>
      v['eks.secretsEncrypted']
        ? pass('Secrets envelope-encrypted with KMS.')
        : fail('Secrets not encrypted with KMS.'),
  },
  {
    id: 'eks-control-plane-logging',
    title: 'Control plane logging',
    controls: ['AU-2', 'AU-12'],
    appliesTo: CLUSTER,
    facts: ['eks.logTypes'],
    remediation:
      'Add the missing log types to resources.cluster.logging (low: audit; moderate: api, audit; high: api, audit, authenticator).',
    evaluate(v, ctx) {
      const on = new Set((v['eks.logTypes'] as string[] | undefined) ?? []);
      const missing = LOG_TYPES[ctx.level]!.filter(t => !on.has(t));
      return missing.length
        ? fail(`Not logged: ${missing.join(', ')} (required at ${ctx.level}).`)
        : pass(`Logged: ${[...on].join(', ')}.`);
    },
  },
  {
    id: 'eks-private-endpoint',
    title: 'Production cluster API endpoint private',
    controls: ['SC-7'],
    appliesTo: CLUSTER,
    facts: ['eks.endpointPublicAccess'],
    remediation: 'Set resources.cluster.publicEndpoint: false.',
    evaluate(v, ctx) {
      if (!isProductionLike(ctx) && ctx.level !== 'high')
        return notApplicable(
          `Required for production, and everywhere at high (this is ${
            ctx.environment ?? 'an unknown environment'
          } at ${ctx.level}).`,
        );
      return v['eks.endpointPublicAccess'] === false
        ? pass('API endpoint private.')
        : fail('API endpoint reachable from the internet.');
    },
  },
  {
    id: 'eks-supported-version',
    title: 'Supported Kubernetes version',
    controls: ['SI-2'],
    appliesTo: CLUSTER,
    facts: ['eks.version'],
    remediation:
      'Upgrade to a Kubernetes version in standard support (set resources.cluster.kubernetesVersion).',
    evaluate(v, ctx) {
      const version = String(v['eks.version']);
      const support = eksSupportOn(version, ctx.now);
      const newest = newestEksVersion(ctx.now);
      const upgrade =
        eksSupportOn(newest, ctx.now) === 'standard'
          ? ` Upgrade to ${newest}.`
          : ' No known version is in standard support: the EKS release calendar needs an update.';
      if (support === 'standard')
        return pass(`Kubernetes ${version} is in standard support.`);
      if (support === 'extended' && ctx.level === 'low')
        return pass(
          `Kubernetes ${version} is in extended support (enough at low).`,
        );
      if (support === 'extended')
        return fail(
          `Kubernetes ${version} is out of standard support (extended only); ${ctx.level} requires standard support.${upgrade}`,
        );
      return fail(
        support === 'none'
          ? `Kubernetes ${version} is no longer supported.${upgrade}`
          : `Kubernetes ${version} is not a known EKS version.${upgrade}`,
      );
    },
  },
  {
    id: 'app-tls',
    title: 'App served over TLS',
    controls: ['SC-8'],
    appliesTo: { kinds: RESOURCE, types: ['kubernetes-deployment'] },
    facts: ['app.tls'],
    remediation: 'Set resources.app.tls: true.',
    evaluate: v =>
      v['app.tls']
        ? pass('Ingress serves HTTPS.')
        : fail('Ingress serves plain HTTP.'),
  },
  {
    id: 'config-drift',
    title: 'Configuration as its stack says: nothing changed outside Konductor',
    controls: ['CM-3', 'CM-6'],
    // Read from the last drift scan of the resource's stack (the catalog names the resource).
    appliesTo: { kinds: RESOURCE, annotation: 'konductor.dev/stack-resource' },
    facts: ['drift.resource'],
    remediation:
      "On the stack's page, Revert (the run puts the stack's current version back), or make the change with Change so that it becomes a version.",
    evaluate(v) {
      const drift = v['drift.resource'] as {
        state?: string;
        version?: number;
        scannedAt?: string;
        detail?: string;
        attributes?: { field: string; desired?: unknown; actual?: unknown }[];
      } | null;
      if (!drift?.scannedAt)
        return notApplicable('No drift scan has read this resource yet.');
      if (drift.state === 'unchecked')
        return notApplicable(drift.detail ?? 'Not read back by drift scans.');
      if (drift.state === 'missing')
        return fail(`${drift.detail} (drift scan of ${drift.scannedAt}).`);
      if (drift.state === 'drifted')
        return fail(
          `Changed outside Konductor (drift scan of ${drift.scannedAt}): ${(
            drift.attributes ?? []
          )
            .map(
              a =>
                `${a.field} is ${specValueText(a.actual)}, version ${
                  drift.version
                } says ${specValueText(a.desired)}`,
            )
            .join('; ')}.`,
        );
      return pass(
        `As version ${drift.version} says, by the drift scan of ${drift.scannedAt}.`,
      );
    },
  },
];

/** The checks that apply to `target`. */
export function checksFor(
  target: CheckTarget,
  checks: ComplianceCheck[] = CHECKS,
): ComplianceCheck[] {
  return checks.filter(
    ({ appliesTo: a }) =>
      a.kinds.includes(target.kind) &&
      (!a.types || a.types.includes(target.type ?? '')) &&
      (!a.annotation || !!target.annotations?.[a.annotation]),
  );
}

/**
 * Runs one check on an entity's facts. A check none of whose controls the level's baseline
 * selects is not applicable; a fact that could not be read (or never was) makes it `error`, with
 * the reason, never `pass`.
 */
export function runCheck(
  check: ComplianceCheck,
  facts: Facts,
  ctx: CheckContext,
): CheckResult {
  const evidence = check.facts.map(name => ({
    fact: name,
    ...(facts[name] ?? {
      source: 'none',
      readAt: ctx.now.toISOString(),
      error: 'not read yet',
    }),
  }));
  const base = {
    checkId: check.id,
    title: check.title,
    controls: check.controls,
    evidence,
  };
  if (!inBaseline(check.controls, ctx.level))
    return {
      ...base,
      status: 'not-applicable',
      message: `${check.controls.join(', ')} not in the FISMA ${
        ctx.level
      } baseline.`,
    };
  const broken = evidence.filter(e => e.error);
  if (broken.length)
    return {
      ...base,
      status: 'error',
      message: broken
        .map(e => `${e.fact}: ${e.error} (${e.source})`)
        .join('; '),
    };
  const verdict = check.evaluate(
    Object.fromEntries(evidence.map(e => [e.fact, e.value])),
    ctx,
  );
  return {
    ...base,
    ...verdict,
    ...(verdict.status === 'fail' ? { remediation: check.remediation } : {}),
  };
}

/**
 * What a stack must meet at `level`, in words: the stack resources' checks whose controls the
 * level's baseline selects, with their thresholds. ("Production" checks apply to prod, and at
 * high to staging too.)
 */
export function stackRequirements(level: Level): string[] {
  const thresholds: Record<string, string | undefined> = {
    'db-backup-retention': BACKUP_DAYS[level]
      ? `at least ${BACKUP_DAYS[level]} day${
          BACKUP_DAYS[level] === 1 ? '' : 's'
        }`
      : undefined,
    'secrets-rotation': ROTATION_DAYS[level]
      ? `at least every ${ROTATION_DAYS[level]} days`
      : undefined,
    'eks-control-plane-logging': LOG_TYPES[level]?.join(', '),
  };
  // Checks of what a resource is; not those of what a scan later finds (an annotation's).
  return CHECKS.filter(
    c =>
      c.appliesTo.kinds.includes('Resource') &&
      !c.appliesTo.annotation &&
      inBaseline(c.controls, level),
  ).map(c =>
    thresholds[c.id]
      ? `${c.title}: ${thresholds[c.id]} (${c.controls.join(', ')})`
      : `${c.title} (${c.controls.join(', ')})`,
  );
}
