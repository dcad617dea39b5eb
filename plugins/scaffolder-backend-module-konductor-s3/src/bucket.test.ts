import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { evaluateStackSpec } from '@konductor/plugin-compliance-common';
import {
  parseStackSpec,
  ProvisioningEvent,
} from '@konductor/plugin-provisioning-common';
import {
  AwsClientFactory,
  AwsProvider,
  destroyStack,
  provisionStack,
} from '@konductor/plugin-provisioning-node';
import { startSandbox, Sandbox } from '@konductor/sandbox';
import { BUCKET_CHECKS } from './bucket';
import { bucketKind } from './module';

const credentials = async (accountId: string) => async () => ({
  accessKeyId: `AKIA${accountId}`,
  secretAccessKey: 'sandbox',
});

describe('the bucket kind against the sandbox', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;
  const checkpoint = <T>(_: string, fn: () => Promise<T>) => fn();

  beforeEach(async () => {
    sandbox = await startSandbox({ seed: 3 });
    provider = new AwsProvider(
      {
        clients: new AwsClientFactory({
          credentials,
          endpoint: sandbox.url,
          retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 50 },
        }),
        pollIntervalMs: 20,
      },
      [bucketKind],
    );
  });
  afterEach(() => sandbox.stop());

  const s3 = async (region = 'eu-west-1') =>
    new S3Client({
      endpoint: sandbox.url,
      region,
      forcePathStyle: true,
      credentials: await credentials('123456789012'),
    });
  const spec = (owner = 'group:default/team-a', extra: object = {}) =>
    parseStackSpec(
      {
        name: 'media',
        environment: 'dev',
        owner,
        target: {
          provider: 'aws',
          accountId: '123456789012',
          region: 'eu-west-1',
        },
        resources: {
          uploads: { kind: 'bucket', expireAfterDays: 30, ...extra },
        },
      },
      provider.kinds,
    );
  const run = (
    s = spec(),
    runId = 'task-1_media-dev',
    events: ProvisioningEvent[] = [],
  ) =>
    provisionStack({
      spec: s,
      provider,
      runId,
      checkpoint: checkpoint as any,
      onEvent: e => events.push(e),
    });

  it('creates a private, encrypted, versioned bucket with its lifecycle, and adopts it on a re-run', async () => {
    const outputs = await run();
    expect(outputs.uploads).toEqual({
      bucketName: 'media-dev-uploads',
      arn: 'arn:aws:s3:::media-dev-uploads',
      region: 'eu-west-1',
    });
    const client = await s3();
    const Bucket = 'media-dev-uploads';
    expect(
      (await client.send(new GetPublicAccessBlockCommand({ Bucket })))
        .PublicAccessBlockConfiguration,
    ).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(
      (await client.send(new GetBucketEncryptionCommand({ Bucket })))
        .ServerSideEncryptionConfiguration?.Rules?.[0]
        .ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('AES256');
    expect(
      (await client.send(new GetBucketVersioningCommand({ Bucket }))).Status,
    ).toBe('Enabled');
    const rules = (
      await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))
    ).Rules!;
    expect(
      rules.map(r => [
        r.ID,
        r.Expiration?.Days ?? r.NoncurrentVersionExpiration?.NoncurrentDays,
      ]),
    ).toEqual([
      ['konductor-expire', 30],
      ['konductor-noncurrent', 90],
    ]);
    const tags = (await client.send(new GetBucketTaggingCommand({ Bucket })))
      .TagSet!;
    expect(tags).toEqual(
      expect.arrayContaining([
        { Key: 'konductor:stack', Value: 'media-dev' },
        { Key: 'konductor:resource', Value: 'uploads' },
        { Key: 'konductor:owner', Value: 'group:default/team-a' },
      ]),
    );
    // A second run adopts the bucket (its tags prove it is this stack's and owner's).
    await run(spec(), 'task-2_media-dev');
    expect(
      (await (await fetch(`${sandbox.url}/__sandbox/resources`)).json()).counts,
    ).toEqual({ 's3/bucket': 1 });
  });

  it("refuses another owner's bucket without touching it, and says so", async () => {
    await run();
    const error = await run(
      spec('group:default/team-b'),
      'task-9_media-dev',
    ).catch(e => e);
    expect(error.message).toMatch(
      /S3 bucket media-dev-uploads already exists and it is owned by group:default\/team-a, not group:default\/team-b/,
    );
    // The rollback of the refused run left team-a's bucket alone.
    await expect(
      (await s3()).send(new HeadBucketCommand({ Bucket: 'media-dev-uploads' })),
    ).resolves.toBeDefined();
  });

  it('rolls back a bucket this run created when configuring it fails', async () => {
    sandbox.faults.add({
      service: 's3',
      operation: 'PutBucketVersioning',
      kind: 'server-error',
    });
    const events: ProvisioningEvent[] = [];
    const error = await run(spec(), 'task-1_media-dev', events).catch(e => e);
    expect(error.rolledBack).toEqual(['uploads']);
    await expect(
      (await s3()).send(new HeadBucketCommand({ Bucket: 'media-dev-uploads' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('destroys an empty bucket, and keeps one holding objects (never deletes data)', async () => {
    await run();
    const client = await s3();
    await client.send(
      new PutObjectCommand({
        Bucket: 'media-dev-uploads',
        Key: 'a.txt',
        Body: 'data',
      }),
    );
    const error = await destroyStack({
      spec: spec(),
      provider,
      runId: 'destroy-1',
      onEvent: () => {},
    }).catch(e => e);
    expect(error.message).toMatch(
      /S3 bucket media-dev-uploads: it holds objects, and Konductor never deletes data/,
    );
    await expect(
      client.send(new HeadBucketCommand({ Bucket: 'media-dev-uploads' })),
    ).resolves.toBeDefined();
  });

  it('is destroyed when empty, and a destroy again finds it gone', async () => {
    await run();
    for (const runId of ['destroy-1', 'destroy-2'])
      await destroyStack({ spec: spec(), provider, runId, onEvent: () => {} });
    await expect(
      (await s3()).send(new HeadBucketCommand({ Bucket: 'media-dev-uploads' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('is gated by its own checks: KMS at high, versioning from moderate, never public', () => {
    const verdict = (level: string, extra: object) =>
      evaluateStackSpec(
        parseStackSpec(
          {
            name: 'media',
            environment: 'prod',
            complianceLevel: level,
            target: {
              provider: 'aws',
              accountId: '123456789012',
              region: 'eu-west-1',
            },
            resources: { uploads: { kind: 'bucket', ...extra } },
          },
          provider.kinds,
        ),
        { kinds: provider.kinds, checks: BUCKET_CHECKS },
      );
    expect(
      verdict('high', {}).violations.map(v => [v.checkId, v.fields]),
    ).toEqual([['s3-encryption-at-rest', ['resources.uploads.encryption']]]);
    expect(verdict('high', { encryption: 'sse-kms' }).allowed).toBe(true);
    expect(
      verdict('moderate', { versioning: false }).violations.map(v => [
        v.checkId,
        v.controls,
      ]),
    ).toEqual([['s3-versioning', ['CP-9']]]);
    expect(verdict('low', { versioning: false }).allowed).toBe(true);
    expect(
      verdict('low', {}).results.map(
        r => `${r.result.checkId}:${r.result.status}`,
      ),
    ).toContain('s3-public-access-blocked:pass');
  });
});
