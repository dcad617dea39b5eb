import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketLifecycleCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { OutputsOf, SpecOf } from '@konductor/plugin-provisioning-common';
import {
  adopt,
  AwsClients,
  cloudName,
  errorName,
  ignoring,
  notFound,
  Observation,
  ownershipProblem,
  removalOf,
  RemovalResult,
  ResourceContext,
  ResourceHandler,
  stackTags,
  tagList,
} from '@konductor/plugin-provisioning-node';
import type { bucket } from './bucket';

type Ctx = ResourceContext<SpecOf<typeof bucket>>;
type Outputs = OutputsOf<typeof bucket>;

/** The spec's encryption of each default encryption S3 answers (another is shown as S3 names it). */
const ENCRYPTION_OF: Record<string, string> = {
  AES256: 'sse-s3',
  'aws:kms': 'sse-kms',
};

/** The bucket's tags; none (S3 answers NoSuchTagSet) is an empty record. */
async function tagsOf(s3: S3Client, name: string) {
  const tagging = await s3
    .send(new GetBucketTaggingCommand({ Bucket: name }))
    .catch(ignoring('NoSuchTagSet'));
  return Object.fromEntries(
    (tagging?.TagSet ?? []).map(t => [t.Key!, t.Value ?? '']),
  );
}

/** Whether the bucket exists in this account (HeadBucket answers 404 NotFound when it does not). */
async function exists(s3: S3Client, name: string) {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
    return true;
  } catch (e) {
    if (notFound(e)) return false;
    throw e;
  }
}

/**
 * A stack's S3 bucket. S3 bucket names are global, so a name taken by anyone else fails the run
 * with what to change; a bucket of this account is adopted only when its tags name this stack and
 * owner (looked at before anything is written to it); settings are applied on every attempt.
 */
export class BucketHandler implements ResourceHandler<typeof bucket> {
  constructor(private readonly aws: AwsClients) {}

  async create(ctx: Ctx): Promise<Outputs> {
    const spec = ctx.resource;
    const s3 = await this.aws.client(S3Client, ctx);
    const name = cloudName(ctx, 'bucket');
    const { region } = ctx.spec.target;
    if (await exists(s3, name)) {
      adopt(ctx, `S3 bucket ${name}`, await tagsOf(s3, name));
    } else {
      try {
        await s3.send(
          new CreateBucketCommand({
            Bucket: name,
            CreateBucketConfiguration: {
              // us-east-1 takes no location constraint; every other region names itself.
              LocationConstraint:
                region === 'us-east-1' ? undefined : (region as any),
              // Tagged as it is created: a run killed right after still finds it provably its own.
              Tags: tagList(stackTags(ctx)),
            },
          }),
        );
      } catch (e) {
        if (errorName(e) === 'BucketAlreadyExists')
          throw new Error(
            `S3 bucket ${name} already exists in another AWS account (bucket names are global): rename the resource or the stack`,
          );
        throw e;
      }
    }
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: name,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: name,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: {
                SSEAlgorithm:
                  spec.encryption === 'sse-kms' ? 'aws:kms' : 'AES256',
              },
            },
          ],
        },
      }),
    );
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: name,
        VersioningConfiguration: {
          Status: spec.versioning ? 'Enabled' : 'Suspended',
        },
      }),
    );
    const rules = [
      ...(spec.expireAfterDays
        ? [
            {
              ID: 'konductor-expire',
              Status: 'Enabled' as const,
              Filter: { Prefix: '' },
              Expiration: { Days: spec.expireAfterDays },
            },
          ]
        : []),
      ...(spec.versioning
        ? [
            {
              ID: 'konductor-noncurrent',
              Status: 'Enabled' as const,
              Filter: { Prefix: '' },
              NoncurrentVersionExpiration: {
                NoncurrentDays: spec.noncurrentVersionsDays,
              },
            },
          ]
        : []),
    ];
    // The rules replace the bucket's; a spec that asks for none removes those a run set before.
    await s3.send(
      rules.length
        ? new PutBucketLifecycleConfigurationCommand({
            Bucket: name,
            LifecycleConfiguration: { Rules: rules },
          })
        : new DeleteBucketLifecycleCommand({ Bucket: name }),
    );
    return { bucketName: name, arn: `arn:aws:s3:::${name}`, region };
  }

  /**
   * The bucket's settings as S3 answers them, for a drift scan: its tags (whose it is), then
   * versioning, default encryption and lifecycle rules (S3 has no call that answers them all).
   */
  async observe(ctx: Ctx): Promise<Observation> {
    const s3 = await this.aws.client(S3Client, ctx);
    const name = cloudName(ctx, 'bucket');
    if (!(await exists(s3, name)))
      return { exists: false, detail: `S3 bucket ${name} is gone` };
    const problem = ownershipProblem(await tagsOf(s3, name), ctx);
    if (problem)
      return {
        exists: false,
        detail: `S3 bucket ${name} exists but ${problem}`,
      };
    const [versioning, encryption, lifecycle] = await Promise.all([
      s3.send(new GetBucketVersioningCommand({ Bucket: name })),
      s3
        .send(new GetBucketEncryptionCommand({ Bucket: name }))
        .catch(ignoring('ServerSideEncryptionConfigurationNotFoundError')),
      s3
        .send(new GetBucketLifecycleConfigurationCommand({ Bucket: name }))
        .catch(ignoring('NoSuchLifecycleConfiguration')),
    ]);
    const algorithm =
      encryption?.ServerSideEncryptionConfiguration?.Rules?.[0]
        ?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
    const rule = (id: string) =>
      lifecycle?.Rules?.find(r => r.ID === id && r.Status === 'Enabled');
    return {
      exists: true,
      attributes: {
        versioning: versioning.Status === 'Enabled',
        encryption: ENCRYPTION_OF[algorithm ?? ''] ?? algorithm,
        expireAfterDays: rule('konductor-expire')?.Expiration?.Days,
        // Replaced versions expire only in a versioned bucket.
        ...(ctx.resource.versioning
          ? {
              noncurrentVersionsDays: rule('konductor-noncurrent')
                ?.NoncurrentVersionExpiration?.NoncurrentDays,
            }
          : {}),
      },
    };
  }

  async exists(ctx: Ctx, outputs: Outputs) {
    return exists(await this.aws.client(S3Client, ctx), outputs.bucketName);
  }

  /** Deletes the bucket when the removal may and it is empty: Konductor never deletes data. */
  async destroy(ctx: Ctx): Promise<RemovalResult> {
    const s3 = await this.aws.client(S3Client, ctx);
    const removal = removalOf(ctx);
    const name = cloudName(ctx, 'bucket');
    if (!(await exists(s3, name))) return removal.result();
    const what = `S3 bucket ${name}`;
    if (!removal.mayDelete(what, await tagsOf(s3, name)))
      return removal.result();
    try {
      await s3.send(new DeleteBucketCommand({ Bucket: name }));
    } catch (e) {
      if (errorName(e) !== 'BucketNotEmpty' && !notFound(e)) throw e;
      if (errorName(e) === 'BucketNotEmpty')
        removal.kept.add(
          `${what}: it holds objects, and Konductor never deletes data; empty it to destroy it`,
        );
    }
    return removal.result();
  }
}
