import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { aws, useSandbox } from '../__testUtils__/sandbox';
import { sessionTokenFor } from './credentials';
import {
  SANDBOX_SECRET_ACCESS_KEY,
  signatureRefusal,
  SignedRequest,
} from './sigv4';

// AWS's published Signature Version 4 example (IAM ListUsers, in the General Reference's
// "Create a signed AWS API request"): its secret, request and signature.
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SIGNED_AT = Date.UTC(2015, 7, 30, 12, 36, 0);
const example = (change: Partial<SignedRequest> = {}): SignedRequest => ({
  method: 'GET',
  target: '/?Action=ListUsers&Version=2010-05-08',
  headers: {
    host: 'iam.amazonaws.com',
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    'x-amz-date': '20150830T123600Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
  },
  body: Buffer.alloc(0),
  ...change,
});

describe('Signature Version 4', () => {
  it("accepts AWS's published example with its secret", () => {
    expect(signatureRefusal(example(), SECRET, SIGNED_AT)).toBeUndefined();
    // The query's order is not signed: the canonical form sorts it.
    expect(
      signatureRefusal(
        example({ target: '/?Version=2010-05-08&Action=ListUsers' }),
        SECRET,
        SIGNED_AT + 60_000,
      ),
    ).toBeUndefined();
  });

  it('refuses another secret, a changed request and an unsigned host', () => {
    const refused = [
      signatureRefusal(example(), 'another-secret', SIGNED_AT),
      signatureRefusal(
        example({ target: '/?Action=ListRoles&Version=2010-05-08' }),
        SECRET,
        SIGNED_AT,
      ),
      signatureRefusal(example({ method: 'POST' }), SECRET, SIGNED_AT),
      signatureRefusal(
        example({ body: Buffer.from('Action=DeleteUser') }),
        SECRET,
        SIGNED_AT,
      ),
      signatureRefusal(
        example({
          headers: {
            ...example().headers,
            host: 'iam.us-east-2.amazonaws.com',
          },
        }),
        SECRET,
        SIGNED_AT,
      ),
    ];
    expect(refused.map(r => r?.kind)).toEqual(Array(5).fill('mismatch'));
    expect(refused[0]?.message).toMatch(
      /^The request signature we calculated does not match the signature you provided/,
    );
    // AWS says what it signed, so a client's author can find the difference.
    expect(refused[1]?.message).toContain(
      "should have been\n'GET\n/\nAction=ListRoles&Version=2010-05-08\n",
    );
    const unsignedHost = example();
    unsignedHost.headers.authorization = String(
      unsignedHost.headers.authorization,
    ).replace('content-type;host;x-amz-date', 'content-type;x-amz-date');
    expect(signatureRefusal(unsignedHost, SECRET, SIGNED_AT)?.message).toBe(
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  });

  it('takes a signature for 15 minutes either side of its date, as AWS does', () => {
    expect(
      signatureRefusal(example(), SECRET, SIGNED_AT + 14 * 60_000),
    ).toBeUndefined();
    expect(
      signatureRefusal(example(), SECRET, SIGNED_AT - 14 * 60_000),
    ).toBeUndefined();
    expect(
      signatureRefusal(example(), SECRET, SIGNED_AT + 16 * 60_000),
    ).toEqual({
      kind: 'expired',
      message:
        'Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)',
    });
    expect(
      signatureRefusal(example(), SECRET, SIGNED_AT - 16 * 60_000)?.message,
    ).toMatch(
      /^Signature not yet current: 20150830T123600Z is still later than/,
    );
  });

  it('refuses a scope whose date is not the request date, and a body that is not the one declared', () => {
    const otherDay = example();
    otherDay.headers.authorization = String(
      otherDay.headers.authorization,
    ).replace('/20150830/', '/20150831/');
    expect(signatureRefusal(otherDay, SECRET, SIGNED_AT)?.message).toMatch(
      /^Date in Credential scope does not match YYYYMMDD .*'20150831' != '20150830'/,
    );
    expect(
      signatureRefusal(
        example({
          headers: {
            ...example().headers,
            'x-amz-content-sha256':
              'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          },
          body: Buffer.from('not empty'),
        }),
        SECRET,
        SIGNED_AT,
      )?.kind,
    ).toBe('payload');
  });
});

describe('signatures over the wire', () => {
  const sandbox = useSandbox();
  const as = (change: {
    accessKeyId?: string;
    sessionToken?: string;
    secretAccessKey?: string;
    systemClockOffset?: number;
  }) => ({
    ...aws(sandbox()),
    credentials: {
      accessKeyId: change.accessKeyId ?? 'AKIA123456789012',
      sessionToken: change.sessionToken,
      secretAccessKey: change.secretAccessKey ?? SANDBOX_SECRET_ACCESS_KEY,
    },
    systemClockOffset: change.systemClockOffset,
  });
  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => 'accepted',
      (e: { name: string; $metadata?: { httpStatusCode?: number } }) =>
        `${e.$metadata?.httpStatusCode} ${e.name}`,
    );
  // Each protocol's client, with the request AWS would answer with each refusal.
  const calls = (config: ReturnType<typeof as>) => [
    refusal(new STSClient(config).send(new GetCallerIdentityCommand({}))),
    refusal(new EC2Client(config).send(new DescribeVpcsCommand({}))),
    refusal(new RDSClient(config).send(new DescribeDBInstancesCommand({}))),
    refusal(new SecretsManagerClient(config).send(new ListSecretsCommand({}))),
    refusal(new EKSClient(config).send(new ListClustersCommand({}))),
    refusal(
      new S3Client({ ...config, forcePathStyle: true }).send(
        new ListObjectsV2Command({ Bucket: 'none' }),
      ),
    ),
  ];

  it("refuses another secret with each service's own error", async () => {
    expect(
      await Promise.all(calls(as({ secretAccessKey: 'guessed' }))),
    ).toEqual([
      '403 SignatureDoesNotMatch',
      '403 SignatureDoesNotMatch',
      '403 SignatureDoesNotMatch',
      '400 InvalidSignatureException',
      '403 InvalidSignatureException',
      '403 SignatureDoesNotMatch',
    ]);
  });

  it("refuses an access key id no identity has, with each service's own error", async () => {
    // AWS's documentation example key: well formed, and no account's.
    expect(
      await Promise.all(calls(as({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }))),
    ).toEqual([
      '403 InvalidClientTokenId',
      '401 AuthFailure',
      '403 InvalidClientTokenId',
      '403 UnrecognizedClientException',
      '403 UnrecognizedClientException',
      '403 InvalidAccessKeyId',
    ]);
  });

  it('takes temporary credentials only with the session token issued with them', async () => {
    const temporary = 'ASIA210987654321';
    expect(await Promise.all(calls(as({ accessKeyId: temporary })))).toEqual([
      '403 InvalidClientTokenId',
      '401 AuthFailure',
      '403 InvalidClientTokenId',
      '403 UnrecognizedClientException',
      '403 UnrecognizedClientException',
      '400 InvalidToken',
    ]);
    // A long-term key sent with a session token is refused too.
    expect(
      await refusal(
        new STSClient(as({ sessionToken: 'guessed' })).send(
          new GetCallerIdentityCommand({}),
        ),
      ),
    ).toBe('403 InvalidClientTokenId');
    const issued = as({
      accessKeyId: temporary,
      sessionToken: sessionTokenFor(temporary, SANDBOX_SECRET_ACCESS_KEY),
    });
    expect(
      await new STSClient(issued).send(new GetCallerIdentityCommand({})),
    ).toMatchObject({ Account: '210987654321' });
  });

  it('refuses a clock 20 minutes off, and accepts the right secret on time', async () => {
    expect(
      await Promise.all(calls(as({ systemClockOffset: -20 * 60_000 }))),
    ).toEqual([
      '403 SignatureDoesNotMatch',
      '400 RequestExpired',
      '403 SignatureDoesNotMatch',
      '400 InvalidSignatureException',
      '403 InvalidSignatureException',
      '403 RequestTimeTooSkewed',
    ]);
    expect(await Promise.all(calls(as({})))).toEqual([
      'accepted',
      'accepted',
      'accepted',
      'accepted',
      'accepted',
      '404 NoSuchBucket',
    ]);
  });
});
