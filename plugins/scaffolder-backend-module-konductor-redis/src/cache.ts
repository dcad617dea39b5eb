import { z } from 'zod/v3';
import type {
  CheckContext,
  ComplianceCheck,
} from '@konductor/plugin-compliance-common';
import { cents, defineKind } from '@konductor/plugin-provisioning-common';

/** Engine versions Konductor offers, per engine (those ElastiCache offers with TLS and AUTH). */
export const CACHE_ENGINE_VERSIONS = {
  redis: ['6.2', '7.0', '7.1'],
  valkey: ['7.2', '8.0'],
} as const;

/**
 * On-demand ElastiCache node prices in USD per hour (us-east-1, from AWS's public price list), for
 * the plan's estimate; the node types offered are these.
 */
export const CACHE_NODE_HOURLY: Record<string, number> = {
  'cache.t4g.micro': 0.016,
  'cache.t4g.small': 0.032,
  'cache.t4g.medium': 0.065,
  'cache.m7g.large': 0.158,
  'cache.m7g.xlarge': 0.315,
  'cache.r7g.large': 0.219,
  'cache.r7g.xlarge': 0.437,
};
const HOURS_PER_MONTH = 730;
const SECRET_MONTHLY = 0.4;
/** ElastiCache replication group ids are at most 40 characters. */
const MAX_ID = 40;

/** What a template author writes for a cache (`resources.<name>: { kind: cache }`). */
export const cacheSchema = z
  .object({
    engine: z
      .enum(['redis', 'valkey'])
      .default('redis')
      .describe(
        'Redis OSS, or Valkey (its open-source, protocol-compatible fork).',
      ),
    engineVersion: z
      .string()
      .default('7.1')
      .describe('Engine version, for example 7.1 (Redis OSS) or 8.0 (Valkey).'),
    nodeType: z
      .string()
      .default('cache.t4g.micro')
      .describe('ElastiCache node type, for example cache.t4g.micro.'),
    replicas: z
      .number()
      .int()
      .min(0)
      .max(5)
      .default(0)
      .describe(
        'Read replicas in other availability zones (0 to 5); with one or more, a failed primary fails over automatically.',
      ),
    snapshotRetentionDays: z
      .number()
      .int()
      .min(0)
      .max(35)
      .default(1)
      .describe('Days of daily snapshots kept (0 to 35; 0 takes none).'),
  })
  .strict();

/**
 * A Redis-compatible cache: an ElastiCache replication group (cluster mode off) in the stack's
 * private subnets, always encrypted in transit (TLS) and at rest, clients authenticated by an
 * AUTH token that Konductor generates into Secrets Manager. Apps receive it as `<name>.authToken`
 * or `<name>.url` in `secretEnv`.
 */
export const cache = defineKind({
  kind: 'cache',
  title: 'a Redis cache',
  schema: cacheSchema,
  outputs: z.object({
    replicationGroupId: z.string(),
    arn: z.string(),
    primaryEndpoint: z.string(),
    readerEndpoint: z.string(),
    port: z.number(),
    authSecretArn: z.string(),
  }),
  secrets: ['authToken', 'url'],
  requires: ['network'],
  validate({ name, spec, stack }, problem) {
    const versions: readonly string[] = CACHE_ENGINE_VERSIONS[spec.engine];
    if (!versions.includes(spec.engineVersion))
      problem(
        'engineVersion',
        `${spec.engine} ${
          spec.engineVersion
        } is not offered: choose one of ${versions.join(', ')}`,
      );
    if (!(spec.nodeType in CACHE_NODE_HOURLY))
      problem(
        'nodeType',
        `unknown node type ${spec.nodeType}: choose one of ${Object.keys(
          CACHE_NODE_HOURLY,
        ).join(', ')}`,
      );
    const id = `${stack.name}-${stack.environment}-${name}`;
    if (id.length > MAX_ID)
      problem(
        '',
        `the cache is named ${id} (${id.length} characters), longer than the ${MAX_ID} ElastiCache allows: shorten the stack or resource name`,
      );
  },
  plan: c => ({
    summary: `${c.engine === 'redis' ? 'Redis OSS' : 'Valkey'} ${
      c.engineVersion
    } on ${c.nodeType}${
      c.replicas
        ? `, ${c.replicas} replica${
            c.replicas > 1 ? 's' : ''
          } with automatic failover`
        : ''
    }, TLS and AUTH token, encrypted at rest${
      c.snapshotRetentionDays
        ? `, ${c.snapshotRetentionDays}-day snapshots`
        : ''
    }`,
    creates: [
      'security group',
      'cache subnet group',
      'ElastiCache replication group',
      'Secrets Manager secret (AUTH token)',
    ],
    monthlyCost: cents(
      (1 + c.replicas) *
        (CACHE_NODE_HOURLY[c.nodeType] ?? 0) *
        HOURS_PER_MONTH +
        SECRET_MONTHLY,
    ),
  }),
  typicalCreateSeconds: 600,
  catalogType: 'aws-elasticache-redis',
  // ModifyReplicationGroup, applied immediately: the node type is scaled online (clients may see
  // a brief interruption while the endpoint moves), the snapshot retention at once.
  changes: {
    nodeType: { inPlace: true, interrupts: true },
    snapshotRetentionDays: { inPlace: true },
    engine: {
      inPlace: false,
      why: 'Konductor does not move a cache between Redis OSS and Valkey in place',
    },
    engineVersion: {
      inPlace: false,
      why: 'Konductor does not upgrade a cache engine in place yet',
    },
    replicas: {
      inPlace: false,
      why: 'Konductor does not add or remove replicas in place yet',
    },
  },
  plannedFacts: c => ({
    // Konductor never creates a cache without TLS, an AUTH token or encryption at rest.
    'elasticache.transitEncryption': { value: true, field: '' },
    'elasticache.authToken': { value: true, field: '' },
    'elasticache.atRestEncryption': { value: true, field: '' },
    'elasticache.automaticFailover': {
      value: c.replicas > 0,
      field: 'replicas',
    },
    'elasticache.snapshotRetentionDays': {
      value: c.snapshotRetentionDays,
      field: 'snapshotRetentionDays',
    },
  }),
});

const CACHE = { kinds: ['Resource'], types: ['aws-elasticache-redis'] };

/** Production, or staging held to high: where a cache must survive losing its primary. */
const productionLike = (ctx: CheckContext) =>
  ctx.environment === 'prod' ||
  (ctx.level === 'high' && ctx.environment === 'staging');

/** The compliance checks of caches, mapped to NIST SP 800-53 rev 5 controls. */
export const CACHE_CHECKS: ComplianceCheck[] = [
  {
    id: 'cache-encryption-in-transit',
    title: 'Cache encrypted in transit',
    controls: ['SC-8'],
    appliesTo: CACHE,
    facts: ['elasticache.transitEncryption'],
    remediation:
      'Enable TLS (TransitEncryptionEnabled): a new replication group, which Konductor creates with it.',
    evaluate: v =>
      v['elasticache.transitEncryption'] === true
        ? { status: 'pass', message: 'Clients connect over TLS.' }
        : { status: 'fail', message: 'Clients connect in clear text.' },
  },
  {
    id: 'cache-auth-token',
    title: 'Cache clients authenticate',
    controls: ['AC-3', 'IA-5'],
    appliesTo: CACHE,
    facts: ['elasticache.authToken'],
    remediation:
      'Set an AUTH token (kept in Secrets Manager) on the replication group.',
    evaluate: v =>
      v['elasticache.authToken'] === true
        ? { status: 'pass', message: 'Clients need the AUTH token.' }
        : { status: 'fail', message: 'Any client in the network may connect.' },
  },
  {
    id: 'cache-encryption-at-rest',
    title: 'Cache encrypted at rest',
    controls: ['SC-28'],
    appliesTo: CACHE,
    facts: ['elasticache.atRestEncryption'],
    remediation:
      'Enable AtRestEncryptionEnabled: a new replication group, which Konductor creates with it.',
    evaluate: v =>
      v['elasticache.atRestEncryption'] === true
        ? { status: 'pass', message: 'Data and snapshots encrypted at rest.' }
        : { status: 'fail', message: 'Data on disk is not encrypted.' },
  },
  {
    id: 'cache-automatic-failover',
    title: 'Production cache fails over automatically',
    controls: ['CP-10'],
    appliesTo: CACHE,
    facts: ['elasticache.automaticFailover'],
    remediation: 'Set replicas: 1 or more for production.',
    evaluate: (v, ctx) => {
      if (!productionLike(ctx) || ctx.level === 'low')
        return {
          status: 'not-applicable',
          message: `Required for production at moderate and high (this is ${
            ctx.environment ?? 'an unknown environment'
          } at ${ctx.level}).`,
        };
      return v['elasticache.automaticFailover'] === true
        ? { status: 'pass', message: 'A replica takes over a failed primary.' }
        : {
            status: 'fail',
            message: 'No replica: a failed primary is an outage.',
          };
    },
  },
  {
    id: 'cache-snapshots',
    title: 'Cache snapshots kept',
    controls: ['CP-9'],
    appliesTo: CACHE,
    facts: ['elasticache.snapshotRetentionDays'],
    remediation: 'Set snapshotRetentionDays: 1 or more (moderate and high).',
    evaluate: (v, ctx) => {
      const days = Number(v['elasticache.snapshotRetentionDays'] ?? 0);
      if (days >= 1)
        return {
          status: 'pass',
          message: `Daily snapshots kept ${days} days.`,
        };
      return ctx.level === 'low'
        ? {
            status: 'not-applicable',
            message: 'Low does not require snapshots.',
          }
        : {
            status: 'fail',
            message: `No snapshots; ${ctx.level} requires at least one day.`,
          };
    },
  },
];
