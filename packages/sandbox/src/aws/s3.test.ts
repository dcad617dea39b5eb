import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { aws, useSandbox } from '../__testUtils__/sandbox';

describe('S3', () => {
  const sandbox = useSandbox();
  const s3 = (region = 'us-east-1', account = '111111111111') =>
    new S3Client({
      ...aws(sandbox(), `AKIA${account}`),
      region,
      forcePathStyle: true,
    });

  it("gives a new bucket S3's defaults: SSE-S3, every public access blocked, no versioning", async () => {
    const client = s3('eu-west-1');
    await client.send(
      new CreateBucketCommand({
        Bucket: 'defaults-bucket',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    const Bucket = 'defaults-bucket';
    expect(
      (await client.send(new GetBucketEncryptionCommand({ Bucket })))
        .ServerSideEncryptionConfiguration?.Rules?.[0]
        .ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('AES256');
    expect(
      (await client.send(new GetPublicAccessBlockCommand({ Bucket })))
        .PublicAccessBlockConfiguration?.BlockPublicPolicy,
    ).toBe(true);
    expect(
      (await client.send(new GetBucketVersioningCommand({ Bucket }))).Status,
    ).toBeUndefined();
    await expect(
      client.send(new GetBucketTaggingCommand({ Bucket })),
    ).rejects.toMatchObject({ name: 'NoSuchTagSet' });
    await expect(
      client.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
    ).rejects.toMatchObject({ name: 'NoSuchLifecycleConfiguration' });
  });

  it('refuses location constraints that do not match the region, and invalid names', async () => {
    // (Outside us-east-1 the SDK itself adds the region as the constraint when none is given.)
    await expect(
      s3('eu-west-1').send(
        new CreateBucketCommand({
          Bucket: 'other-region',
          CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'IllegalLocationConstraintException' });
    await expect(
      s3('us-east-1').send(
        new CreateBucketCommand({
          Bucket: 'wrong-constraint',
          CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidLocationConstraint' });
    await expect(
      s3().send(new CreateBucketCommand({ Bucket: 'Upper_Case' })),
    ).rejects.toMatchObject({ name: 'InvalidBucketName' });
  });

  it('shares bucket names across accounts; us-east-1 answers a create of your own bucket with success', async () => {
    await s3().send(new CreateBucketCommand({ Bucket: 'global-name' }));
    await expect(
      s3('us-east-1', '222222222222').send(
        new CreateBucketCommand({ Bucket: 'global-name' }),
      ),
    ).rejects.toMatchObject({ name: 'BucketAlreadyExists' });
    await expect(
      s3().send(new CreateBucketCommand({ Bucket: 'global-name' })),
    ).resolves.toBeDefined();
    await s3('eu-west-1').send(
      new CreateBucketCommand({
        Bucket: 'regional-name',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    await expect(
      s3('eu-west-1').send(
        new CreateBucketCommand({
          Bucket: 'regional-name',
          CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'BucketAlreadyOwnedByYou' });
    // Another account's bucket is not reachable.
    await expect(
      s3('us-east-1', '222222222222').send(
        new HeadBucketCommand({ Bucket: 'global-name' }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });

  it('keeps tags, versioning and lifecycle rules, and refuses a rule without an action', async () => {
    const client = s3();
    const Bucket = 'configured';
    await client.send(new CreateBucketCommand({ Bucket }));
    await client.send(
      new PutBucketTaggingCommand({
        Bucket,
        Tagging: { TagSet: [{ Key: 'konductor:stack', Value: 'x' }] },
      }),
    );
    expect(
      (await client.send(new GetBucketTaggingCommand({ Bucket }))).TagSet,
    ).toEqual([{ Key: 'konductor:stack', Value: 'x' }]);
    await client.send(
      new PutBucketVersioningCommand({
        Bucket,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    expect(
      (await client.send(new GetBucketVersioningCommand({ Bucket }))).Status,
    ).toBe('Enabled');
    await expect(
      client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: {
            Rules: [{ ID: 'nothing', Status: 'Enabled', Filter: {} }],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequest' });
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'expire',
              Status: 'Enabled',
              Filter: { Prefix: 'logs/' },
              Expiration: { Days: 7 },
            },
          ],
        },
      }),
    );
    const rules = (
      await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))
    ).Rules!;
    expect(rules).toMatchObject([
      { ID: 'expire', Filter: { Prefix: 'logs/' }, Expiration: { Days: 7 } },
    ]);
  });

  it('takes tags at creation (CreateBucketConfiguration.Tags), refused like PutBucketTagging', async () => {
    const client = s3();
    await client.send(
      new CreateBucketCommand({
        Bucket: 'tagged',
        CreateBucketConfiguration: {
          Tags: [{ Key: 'konductor:stack', Value: 'media-dev' }],
        },
      }),
    );
    expect(
      (await client.send(new GetBucketTaggingCommand({ Bucket: 'tagged' })))
        .TagSet,
    ).toEqual([{ Key: 'konductor:stack', Value: 'media-dev' }]);
    await expect(
      client.send(
        new CreateBucketCommand({
          Bucket: 'twice-tagged',
          CreateBucketConfiguration: {
            Tags: [
              { Key: 'k', Value: '1' },
              { Key: 'k', Value: '2' },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidTag' });
    await expect(
      client.send(new HeadBucketCommand({ Bucket: 'twice-tagged' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('refuses to delete a bucket that holds objects', async () => {
    const client = s3();
    const Bucket = 'holding';
    await client.send(new CreateBucketCommand({ Bucket }));
    await client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'v' }));
    await expect(
      client.send(new DeleteBucketCommand({ Bucket })),
    ).rejects.toMatchObject({ name: 'BucketNotEmpty' });
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
    await client.send(new DeleteBucketCommand({ Bucket }));
    await expect(
      client.send(new HeadBucketCommand({ Bucket })),
    ).rejects.toMatchObject({ name: 'NotFound' });
    await expect(
      client.send(new DeleteBucketCommand({ Bucket })),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });
});
