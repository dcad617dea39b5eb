import {
  DeleteBucketCommand,
  DeleteBucketLifecycleCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { evaluateStackSpec } from '@konductor/plugin-compliance-common';
import {
  parseStackSpec,
  planChange,
  ProvisioningEvent,
} from '@konductor/plugin-provisioning-common';
import {
  AwsProvider,
  CloudProvider,
  destroyStack,
  provisionStack,
  scanDrift,
} from '@konductor/plugin-provisioning-node';
import {
  checkpointStore,
  credentials,
  dyingProvider,
  sandboxCounts,
  sandboxProvider,
} from '@konductor/plugin-provisioning-node/testUtils';
import { startSandbox, Sandbox } from '@konductor/sandbox';
import { BUCKET_CHECKS } from './bucket';
import { bucketKind } from './module';

describe('the bucket kind against the sandbox', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;

  beforeEach(async () => {
    sandbox = await startSandbox({ seed: 3 });
    provider = sandboxProvider(sandbox, [bucketKind]);
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
    options: {
      events?: ProvisioningEvent[];
      provider?: CloudProvider;
      checkpoint?: ReturnType<typeof checkpointStore>;
    } = {},
  ) =>
    provisionStack({
      spec: s,
      provider: options.provider ?? provider,
      runId,
      checkpoint: options.checkpoint ?? checkpointStore(),
      onEvent: e => options.events?.push(e),
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
    expect(await sandboxCounts(sandbox)).toEqual({ 's3/bucket': 1 });
  });

  it('changes every setting in place on a re-run: a plan of updates, then the bucket as the new spec says', async () => {
    await run();
    const next = spec(undefined, {
      versioning: false,
      encryption: 'sse-kms',
      expireAfterDays: undefined,
    });
    // The plan: one update in place, nothing refused.
    const plan = planChange(spec(), next, 1, provider.kinds);
    expect(plan.refusals).toEqual([]);
    expect(plan.resources).toEqual([
      expect.objectContaining({
        resource: 'uploads',
        action: 'update',
        interrupts: false,
        changes: [
          { path: 'encryption', before: 'sse-s3', after: 'sse-kms' },
          { path: 'expireAfterDays', before: 30 },
          { path: 'versioning', before: true, after: false },
        ],
      }),
    ]);
    await run(next, 'task-2_media-dev');
    const client = await s3();
    const Bucket = 'media-dev-uploads';
    expect(
      (await client.send(new GetBucketVersioningCommand({ Bucket }))).Status,
    ).toBe('Suspended');
    expect(
      (await client.send(new GetBucketEncryptionCommand({ Bucket })))
        .ServerSideEncryptionConfiguration?.Rules?.[0]
        .ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('aws:kms');
    // Neither expiry nor versions to expire: the rules the first run set are gone.
    await expect(
      client.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
    ).rejects.toMatchObject({ name: 'NoSuchLifecycleConfiguration' });
    expect(await sandboxCounts(sandbox)).toEqual({ 's3/bucket': 1 });
  });

  it('is read back by a drift scan: settings changed outside Konductor are drift, and a bucket gone is missing', async () => {
    await run();
    const client = await s3();
    const Bucket = 'media-dev-uploads';
    const scan = async () =>
      (await scanDrift({ spec: spec(), version: 1, provider })).resources;
    expect(await scan()).toEqual([
      expect.objectContaining({ resource: 'uploads', state: 'in-sync' }),
    ]);
    // Out of band, as in the console: versioning suspended, KMS keys, the expiry rule dropped.
    await client.send(
      new PutBucketVersioningCommand({
        Bucket,
        VersioningConfiguration: { Status: 'Suspended' },
      }),
    );
    await client.send(
      new PutBucketEncryptionCommand({
        Bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } },
          ],
        },
      }),
    );
    await client.send(new DeleteBucketLifecycleCommand({ Bucket }));
    const [drifted] = await scan();
    expect(drifted.state).toBe('drifted');
    expect(drifted.attributes.map(a => [a.field, a.desired, a.actual])).toEqual(
      [
        ['versioning', true, false],
        ['encryption', 'sse-s3', 'sse-kms'],
        ['expireAfterDays', 30, undefined],
        ['noncurrentVersionsDays', 90, undefined],
      ],
    );
    // Deleted outside Konductor: missing, saying so.
    await client.send(new DeleteBucketCommand({ Bucket }));
    expect(await scan()).toEqual([
      expect.objectContaining({
        state: 'missing',
        detail: 'S3 bucket media-dev-uploads is gone',
      }),
    ]);
  });

  it('resumes a run killed right after the bucket was created, adopting it by the tags it was created with', async () => {
    sandbox.faults.add({ service: 's3', kind: 'throttle', probability: 0.3 });
    // The killed backend's first setting hangs, so it dies between creating and configuring.
    sandbox.faults.add({
      service: 's3',
      operation: 'PutPublicAccessBlock',
      kind: 'latency',
      latencyMs: 1000,
      count: 1,
    });
    const checkpoint = checkpointStore();
    const { provider: dying, kill } = dyingProvider(provider, 'uploads');
    void run(spec(), 'task-1_media-dev', { provider: dying, checkpoint });
    while (!(await sandboxCounts(sandbox))['s3/bucket'])
      await new Promise(r => setTimeout(r, 10));
    kill();
    const Bucket = 'media-dev-uploads';
    // Killed before any setting: not yet versioned.
    expect(
      (await (await s3()).send(new GetBucketVersioningCommand({ Bucket })))
        .Status,
    ).toBeUndefined();

    const outputs = await run(spec(), 'task-1_media-dev', { checkpoint });
    expect(outputs.uploads.bucketName).toBe(Bucket);
    const client = await s3();
    expect(
      (await client.send(new GetBucketVersioningCommand({ Bucket }))).Status,
    ).toBe('Enabled');
    expect(
      (await client.send(new GetPublicAccessBlockCommand({ Bucket })))
        .PublicAccessBlockConfiguration?.BlockPublicPolicy,
    ).toBe(true);
    expect(await sandboxCounts(sandbox)).toEqual({ 's3/bucket': 1 });
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
    const error = await run(spec()).catch(e => e);
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
