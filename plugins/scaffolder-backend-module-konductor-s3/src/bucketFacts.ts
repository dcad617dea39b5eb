import {
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Entity } from '@backstage/catalog-model';
import type { FactSource } from '@konductor/plugin-compliance-node';
import {
  ANNOTATION_AWS_ACCOUNT,
  ANNOTATION_AWS_REGION,
  ANNOTATION_CLOUD_ID,
} from '@konductor/plugin-provisioning-common';
import {
  AwsClientFactory,
  ignoring,
} from '@konductor/plugin-provisioning-node';
import { bucket } from './bucket';

/** The bucket an entity stands for, and where it is. */
function locate(entity: Entity) {
  const annotations = entity.metadata.annotations ?? {};
  const arn = annotations[ANNOTATION_CLOUD_ID] ?? '';
  const accountId = annotations[ANNOTATION_AWS_ACCOUNT];
  const region = annotations[ANNOTATION_AWS_REGION];
  if (!arn.startsWith('arn:aws:s3:::') || !accountId || !region)
    throw new Error(
      `${entity.metadata.name} names no S3 bucket ARN, AWS account and region`,
    );
  return { name: arn.slice('arn:aws:s3:::'.length), accountId, region };
}

/**
 * Live settings of the S3 buckets the catalog holds, named as the bucket checks read them (and as
 * the kind's planned facts name them, so a spec and what exists are judged alike).
 */
export function bucketFacts(clients: AwsClientFactory): FactSource {
  return {
    id: 'aws:s3',
    facts: ['s3.encryption', 's3.versioning', 's3.publicAccessBlocked'],
    appliesTo: e =>
      e.kind === 'Resource' &&
      (e.spec as { type?: string } | undefined)?.type === bucket.catalogType &&
      !!e.metadata.annotations?.[ANNOTATION_CLOUD_ID],
    async read(entity) {
      const { name, accountId, region } = locate(entity);
      // A reading that fails is reported (with the last one known) rather than waited for.
      const s3 = await clients.client(
        S3Client,
        { accountId, region },
        { maxAttempts: 2 },
      );
      const [encryption, versioning, block] = await Promise.all([
        s3
          .send(new GetBucketEncryptionCommand({ Bucket: name }))
          .catch(ignoring('ServerSideEncryptionConfigurationNotFoundError')),
        s3.send(new GetBucketVersioningCommand({ Bucket: name })),
        s3
          .send(new GetPublicAccessBlockCommand({ Bucket: name }))
          .catch(ignoring('NoSuchPublicAccessBlockConfiguration')),
      ]);
      const algorithm =
        encryption?.ServerSideEncryptionConfiguration?.Rules?.[0]
          ?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
      const settings = block?.PublicAccessBlockConfiguration;
      let encrypted: 'sse-s3' | 'sse-kms' | null = null;
      if (algorithm === 'AES256') encrypted = 'sse-s3';
      else if (algorithm?.startsWith('aws:kms')) encrypted = 'sse-kms';
      return {
        's3.encryption': encrypted,
        's3.versioning': versioning.Status === 'Enabled',
        's3.publicAccessBlocked': !!(
          settings?.BlockPublicAcls &&
          settings.IgnorePublicAcls &&
          settings.BlockPublicPolicy &&
          settings.RestrictPublicBuckets
        ),
      };
    },
  };
}
