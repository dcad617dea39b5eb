import {
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import type { Entity } from '@backstage/catalog-model';
import type { FactSource } from '@konductor/plugin-compliance-node';
import {
  ANNOTATION_AWS_ACCOUNT,
  ANNOTATION_AWS_REGION,
  ANNOTATION_CLOUD_ID,
} from '@konductor/plugin-provisioning-common';
import type { AwsClientFactory } from '@konductor/plugin-provisioning-node';
import { cache } from './cache';

/** The replication group an entity stands for (`arn:aws:elasticache:...:replicationgroup:<id>`). */
function locate(entity: Entity) {
  const annotations = entity.metadata.annotations ?? {};
  const m =
    /^arn:aws:elasticache:[a-z0-9-]+:\d{12}:replicationgroup:(.+)$/.exec(
      annotations[ANNOTATION_CLOUD_ID] ?? '',
    );
  const accountId = annotations[ANNOTATION_AWS_ACCOUNT];
  const region = annotations[ANNOTATION_AWS_REGION];
  if (!m || !accountId || !region)
    throw new Error(
      `${entity.metadata.name} names no ElastiCache replication group ARN, AWS account and region`,
    );
  return { id: m[1], accountId, region };
}

/**
 * Live settings of the caches the catalog holds, named as the cache checks read them (and as the
 * kind's planned facts name them, so a spec and what exists are judged alike).
 */
export function cacheFacts(clients: AwsClientFactory): FactSource {
  return {
    id: 'aws:elasticache',
    facts: [
      'elasticache.transitEncryption',
      'elasticache.authToken',
      'elasticache.atRestEncryption',
      'elasticache.automaticFailover',
      'elasticache.snapshotRetentionDays',
    ],
    appliesTo: e =>
      e.kind === 'Resource' &&
      (e.spec as { type?: string } | undefined)?.type === cache.catalogType &&
      !!e.metadata.annotations?.[ANNOTATION_CLOUD_ID],
    async read(entity) {
      const { id, accountId, region } = locate(entity);
      // A reading that fails is reported (with the last one known) rather than waited for.
      const elasticache = await clients.client(
        ElastiCacheClient,
        { accountId, region },
        { maxAttempts: 2 },
      );
      const group = (
        await elasticache.send(
          new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }),
        )
      ).ReplicationGroups![0];
      return {
        'elasticache.transitEncryption':
          group.TransitEncryptionEnabled === true,
        'elasticache.authToken': group.AuthTokenEnabled === true,
        'elasticache.atRestEncryption': group.AtRestEncryptionEnabled === true,
        'elasticache.automaticFailover': group.AutomaticFailover === 'enabled',
        'elasticache.snapshotRetentionDays': group.SnapshotRetentionLimit ?? 0,
      };
    },
  };
}
