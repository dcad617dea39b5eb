import { stripVTControlCharacters } from 'node:util';
import type {
  AuthService,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { Facts } from '@konductor/plugin-compliance-common';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { AwsClientFactory } from '@konductor/plugin-provisioning-node';
import {
  ANNOTATION_AWS_ACCOUNT,
  ANNOTATION_AWS_REGION,
  ANNOTATION_CLOUD_ID,
  ANNOTATION_STACK,
  ANNOTATION_STACK_RESOURCE,
  ProvisioningClient,
} from '@konductor/plugin-provisioning-common';
import type { JsonObject } from '@backstage/types';
import type { FactSource } from '@konductor/plugin-compliance-node';
import { Octokit } from '@octokit/rest';

/** The repository of a component, as Backstage's GitHub plugins name it. */
const GITHUB_SLUG = 'github.com/project-slug';

/** Reads every applicable source; a failing source marks its facts with the reason. */
export async function readFacts(
  entity: Entity,
  sources: FactSource[],
  now: () => Date,
): Promise<Facts> {
  const facts: Facts = {};
  await Promise.all(
    sources
      .filter(s => s.appliesTo(entity))
      .map(async source => {
        try {
          const values = await source.read(entity);
          const readAt = now().toISOString();
          for (const [name, value] of Object.entries(values))
            facts[name] = { value, source: source.id, readAt };
        } catch (e) {
          const readAt = now().toISOString();
          const error = e instanceof Error ? e.message : String(e);
          for (const name of source.facts)
            facts[name] = { source: source.id, readAt, error };
        }
      }),
  );
  return facts;
}

/** What the catalog entity itself says: owner, lifecycle, system, description, docs. */
export const catalogFacts: FactSource = {
  id: 'catalog',
  facts: [
    'entity.owner',
    'entity.lifecycle',
    'entity.system',
    'entity.description',
    'entity.docs',
  ],
  appliesTo: () => true,
  async read(entity) {
    const spec = (entity.spec ?? {}) as Record<string, any>;
    const docs =
      entity.metadata.annotations?.['backstage.io/techdocs-ref'] ??
      entity.metadata.links?.find(l => /doc/i.test(`${l.title} ${l.type}`))
        ?.url;
    return {
      'entity.owner': spec.owner ?? null,
      // Only components and APIs have a lifecycle.
      'entity.lifecycle': ['Component', 'API'].includes(entity.kind)
        ? spec.lifecycle ?? ''
        : null,
      'entity.system': spec.system ?? null,
      'entity.description': entity.metadata.description ?? null,
      'entity.docs': docs ?? null,
    };
  },
};

/** `arn:aws:<service>:<region>:<account>:...` */
function parseArn(arn: string) {
  const [, , service, region, accountId] = arn.split(':');
  if (!arn.startsWith('arn:') || !region || !accountId)
    throw new Error(`${arn} is not an ARN with a region and an account`);
  return { service, region, accountId };
}

const isType = (entity: Entity, types: string[]) =>
  entity.kind === 'Resource' &&
  types.includes(String((entity.spec as any)?.type)) &&
  !!entity.metadata.annotations?.[ANNOTATION_CLOUD_ID];

/** Live settings from AWS (describe calls) for the databases, secrets and clusters the catalog holds. */
export function awsFacts(clients: AwsClientFactory): FactSource[] {
  // A reading that fails is reported (with the last one known) rather than waited for.
  const client = <T>(Client: new (config: any) => T, arn: string): Promise<T> =>
    clients.client(Client, parseArn(arn), { maxAttempts: 2 });
  const arnOf = (entity: Entity) =>
    entity.metadata.annotations![ANNOTATION_CLOUD_ID];
  /** Days between rotations of a secret (null: not rotated, or no secret, as a password set by hand). */
  const rotationDays = async (arn: string | undefined) => {
    if (!arn) return null;
    const sm = await client(SecretsManagerClient, arn);
    const secret = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    return secret.RotationEnabled
      ? secret.RotationRules?.AutomaticallyAfterDays ?? null
      : null;
  };
  return [
    {
      id: 'aws:rds',
      facts: [
        'rds.storageEncrypted',
        'rds.backupRetentionDays',
        'rds.multiAz',
        'rds.publiclyAccessible',
        'rds.deletionProtection',
        'secrets.rotationDays',
      ],
      appliesTo: e => isType(e, ['aws-rds-postgres']),
      async read(entity) {
        const rds = await client(RDSClient, arnOf(entity));
        const { DBInstances } = await rds.send(
          new DescribeDBInstancesCommand({
            DBInstanceIdentifier: arnOf(entity),
          }),
        );
        const db = DBInstances?.[0];
        if (!db) throw new Error(`RDS has no instance ${arnOf(entity)}`);
        return {
          'secrets.rotationDays': await rotationDays(
            db.MasterUserSecret?.SecretArn,
          ),
          'rds.storageEncrypted': !!db.StorageEncrypted,
          'rds.backupRetentionDays': db.BackupRetentionPeriod ?? 0,
          'rds.multiAz': !!db.MultiAZ,
          'rds.publiclyAccessible': !!db.PubliclyAccessible,
          'rds.deletionProtection': !!db.DeletionProtection,
        };
      },
    },
    {
      id: 'aws:secretsmanager',
      facts: ['secrets.rotationDays'],
      appliesTo: e => isType(e, ['aws-secret']),
      async read(entity) {
        return { 'secrets.rotationDays': await rotationDays(arnOf(entity)) };
      },
    },
    {
      id: 'aws:eks',
      facts: [
        'eks.secretsEncrypted',
        'eks.logTypes',
        'eks.endpointPublicAccess',
        'eks.version',
      ],
      appliesTo: e => isType(e, ['aws-eks-cluster', 'kubernetes-cluster']),
      async read(entity) {
        const arn = arnOf(entity);
        const eks = await client(EKSClient, arn);
        const { cluster } = await eks.send(
          new DescribeClusterCommand({ name: arn.split('/').pop()! }),
        );
        if (!cluster) throw new Error(`EKS has no cluster ${arn}`);
        return {
          'eks.secretsEncrypted': !!cluster.encryptionConfig?.some(c =>
            c.resources?.includes('secrets'),
          ),
          'eks.logTypes': (cluster.logging?.clusterLogging ?? [])
            .filter(l => l.enabled)
            .flatMap(l => l.types ?? []),
          'eks.endpointPublicAccess':
            cluster.resourcesVpcConfig?.endpointPublicAccess ?? true,
          'eks.version': cluster.version ?? 'unknown',
        };
      },
    },
    {
      // The app's ingress: its URL says whether it serves HTTPS.
      id: 'provisioning',
      facts: ['app.tls'],
      appliesTo: e => isType(e, ['kubernetes-deployment']),
      async read(entity) {
        return { 'app.tls': arnOf(entity).startsWith('https://') };
      },
    },
  ];
}

/**
 * What the last drift scan of a provisioned resource's stack found of it (`drift.resource`: its
 * state, the version compared with, when, and each attribute that differs), read from the
 * provisioning backend as this service; `{}` before the first scan.
 */
export function driftFacts(options: {
  discovery: DiscoveryService;
  auth: AuthService;
}): FactSource {
  const { discovery, auth } = options;
  const annotation = (entity: Entity, name: string) =>
    entity.metadata.annotations?.[name];
  return {
    id: 'provisioning:drift',
    facts: ['drift.resource'],
    appliesTo: e =>
      e.kind === 'Resource' &&
      [
        ANNOTATION_STACK_RESOURCE,
        ANNOTATION_STACK,
        ANNOTATION_AWS_ACCOUNT,
        ANNOTATION_AWS_REGION,
      ].every(a => !!annotation(e, a)),
    async read(entity) {
      const client = new ProvisioningClient({
        discovery,
        token: async () =>
          (
            await auth.getPluginRequestToken({
              onBehalfOf: await auth.getOwnServiceCredentials(),
              targetPluginId: 'provisioning',
            })
          ).token,
      });
      const drift = await client.getStackDrift({
        accountId: annotation(entity, ANNOTATION_AWS_ACCOUNT)!,
        region: annotation(entity, ANNOTATION_AWS_REGION)!,
        stackId: annotation(entity, ANNOTATION_STACK)!,
      });
      const name = annotation(entity, ANNOTATION_STACK_RESOURCE);
      const found = drift.resources.find(r => r.resource === name);
      return {
        'drift.resource':
          found && drift.scannedAt
            ? (JSON.parse(
                JSON.stringify({
                  ...found,
                  version: drift.version,
                  scannedAt: drift.scannedAt,
                }),
              ) as JsonObject)
            : {},
      };
    },
  };
}

/**
 * The host of an entity's GitHub repository: that of its source location (or, failing that,
 * the location it was registered from) when it is a URL, else github.com.
 */
export function githubHostOf(entity: Entity): string {
  const annotations = entity.metadata.annotations ?? {};
  for (const key of [
    'backstage.io/source-location',
    'backstage.io/managed-by-location',
  ]) {
    const value = annotations[key];
    if (value?.startsWith('url:')) {
      try {
        return new URL(value.slice(4)).host;
      } catch {
        // Not a URL: try the next one.
      }
    }
  }
  return 'github.com';
}

/** Repository settings from GitHub, for components with a `github.com/project-slug`. */
export function githubFacts(options: {
  /** A client for the repository `slug` on GitHub host `host`. */
  octokit: (slug: string, host: string) => Promise<Octokit>;
}): FactSource {
  return {
    id: 'github',
    facts: [
      'github.branchProtected',
      'github.requiredReviews',
      'github.codeowners',
      'github.secretScanning',
      'github.pushProtection',
      'github.vulnerabilityAlerts',
    ],
    appliesTo: e =>
      e.kind === 'Component' && !!e.metadata.annotations?.[GITHUB_SLUG],
    async read(entity) {
      const slug = entity.metadata.annotations![GITHUB_SLUG];
      const [owner, repo] = slug.split('/');
      const gh = await options.octokit(slug, githubHostOf(entity));
      const { data } = await gh.rest.repos.get({ owner, repo });
      const absent = (e: any) => {
        if (e?.status === 404) return undefined;
        throw e;
      };
      const protection = await gh.rest.repos
        .getBranchProtection({ owner, repo, branch: data.default_branch })
        .then(r => r.data, absent);
      const codeowners = await Promise.all(
        ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'].map(path =>
          gh.rest.repos
            .getContent({ owner, repo, path })
            .then(() => true, absent),
        ),
      );
      const alerts = await gh.rest.repos
        .checkVulnerabilityAlerts({ owner, repo })
        .then(() => true, absent);
      const security = data.security_and_analysis;
      return {
        'github.branchProtected': !!protection,
        'github.requiredReviews':
          protection?.required_pull_request_reviews
            ?.required_approving_review_count ?? 0,
        'github.codeowners': codeowners.some(Boolean),
        'github.secretScanning':
          security?.secret_scanning?.status === 'enabled',
        'github.pushProtection':
          security?.secret_scanning_push_protection?.status === 'enabled',
        'github.vulnerabilityAlerts': !!alerts,
      };
    },
  };
}

/**
 * Whether an entity's TechDocs are there, not only announced: for an entity with a
 * `backstage.io/techdocs-ref`, asks the TechDocs backend to build its site (its sync endpoint,
 * which builds only what changed) and then whether the site is published. `techdocs.site` is
 * `{ built: true }`, `{ built: false, reason }` (the build's own error), or null for an entity
 * without TechDocs.
 */
export function techdocsFacts(options: {
  discovery: DiscoveryService;
  auth: AuthService;
  /** How long a build may take. */
  timeoutMs?: number;
}): FactSource {
  const { discovery, auth, timeoutMs = 120_000 } = options;
  return {
    id: 'techdocs',
    facts: ['techdocs.site'],
    appliesTo: () => true,
    async read(entity) {
      if (!entity.metadata.annotations?.['backstage.io/techdocs-ref'])
        return { 'techdocs.site': null };
      const { token } = await auth.getPluginRequestToken({
        onBehalfOf: await auth.getOwnServiceCredentials(),
        targetPluginId: 'techdocs',
      });
      const base = await discovery.getBaseUrl('techdocs');
      const ref = [
        entity.metadata.namespace ?? 'default',
        entity.kind,
        entity.metadata.name,
      ]
        .map(encodeURIComponent)
        .join('/');
      const headers = { authorization: `Bearer ${token}` };
      const sync = await fetch(`${base}/sync/${ref}`, {
        headers: { ...headers, accept: 'text/event-stream' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!sync.ok)
        throw new Error(`TechDocs answered ${sync.status} to a build request`);
      // Server-sent events; the stream ends after `finish` or `error`.
      const events = (await sync.text()).split('\n\n').map(block => ({
        type: /^event: (.*)$/m.exec(block)?.[1],
        data: /^data: (.*)$/m.exec(block)?.[1],
      }));
      const failed = events.find(e => e.type === 'error');
      if (failed) {
        // MkDocs says what is wrong in its log (an ERROR line); TechDocs' error only that it failed.
        const mkdocs = events
          .filter(e => e.type === 'log')
          .map(e =>
            stripVTControlCharacters(String(JSON.parse(e.data ?? '""'))),
          )
          .flatMap(text => text.split('\n'))
          .map(text => /ERROR\s+-\s+(.*)$/.exec(text)?.[1])
          .filter(Boolean);
        const error = JSON.parse(failed.data ?? '""');
        return {
          'techdocs.site': {
            built: false,
            reason: mkdocs.length ? `${error}: ${mkdocs.join('; ')}` : error,
          },
        };
      }
      const metadata = await fetch(`${base}/metadata/techdocs/${ref}`, {
        headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (metadata.status === 404)
        return {
          'techdocs.site': { built: false, reason: 'no site is published' },
        };
      if (!metadata.ok)
        throw new Error(
          `TechDocs answered ${metadata.status} for its metadata`,
        );
      return { 'techdocs.site': { built: true } };
    },
  };
}
