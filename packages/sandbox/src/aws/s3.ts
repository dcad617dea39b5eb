import { randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
} from '../types';
import { AwsCaller, el, text } from './protocol';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

interface Bucket {
  name: string;
  account: string;
  region: string;
  tags: Record<string, string>;
  encryption: {
    algorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse';
    kmsKeyId?: string;
  };
  versioning?: 'Enabled' | 'Suspended';
  publicAccessBlock?: Record<PublicAccessSetting, boolean>;
  lifecycle?: LifecycleRule[];
  /** Object keys and their sizes (only what tests put there). */
  objects: Record<string, number>;
}
interface LifecycleRule {
  id: string;
  status: 'Enabled' | 'Disabled';
  prefix: string;
  expirationDays?: number;
  noncurrentDays?: number;
}
const PUBLIC_ACCESS_SETTINGS = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;
type PublicAccessSetting = (typeof PUBLIC_ACCESS_SETTINGS)[number];

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: name => ['Rule', 'Tag'].includes(name),
});

const malformed = () =>
  new ServiceError(
    400,
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );

/** The request body as XML, its root element's content. */
function body(req: SandboxRequest, root: string): any {
  const raw = req.body.toString('utf8').trim();
  if (!raw) throw malformed();
  let doc: any;
  try {
    doc = parser.parse(raw);
  } catch {
    throw malformed();
  }
  if (!doc?.[root] || typeof doc[root] !== 'object') throw malformed();
  return doc[root];
}

/** A bucket's tags from the `Tag` elements of a request, refused as S3 refuses them. */
function tagRecord(tags: any[] = []): Record<string, string> {
  const record: Record<string, string> = {};
  for (const t of tags) {
    if (typeof t?.Key !== 'string') throw malformed();
    if (t.Key in record)
      throw new ServiceError(
        400,
        'InvalidTag',
        'Cannot provide multiple Tags with the same key',
      );
    record[t.Key] = String(t.Value ?? '');
  }
  if (Object.keys(record).length > 50)
    throw new ServiceError(
      400,
      'BadRequest',
      'Object tags cannot be greater than 50',
    );
  return record;
}

const ok = (status = 200, xmlBody?: string, headers = {}): SandboxResponse => ({
  status,
  headers: {
    'x-amz-request-id': randomUUID(),
    ...(xmlBody ? { 'content-type': 'application/xml' } : {}),
    ...headers,
  },
  body: xmlBody
    ? `<?xml version="1.0" encoding="UTF-8"?>\n${xmlBody}`
    : undefined,
});

/** S3's error document: `<Error><Code>..</Code><Message>..</Message>...</Error>`. */
export function s3Error(e: ServiceError): SandboxResponse {
  return {
    status: e.status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${text(
      'Code',
      e.code,
    )}${text('Message', e.message)}${Object.entries(e.extra ?? {})
      .map(([k, v]) => text(k, String(v)))
      .join('')}<RequestId>${randomUUID()}</RequestId></Error>`,
  };
}

/** `Bucket` and `Key` of a path-style request (`/bucket/key`), and the sub-resource named. */
function address(req: SandboxRequest) {
  const [, bucket = '', ...key] = req.path.split('/');
  const sub = [
    'tagging',
    'encryption',
    'versioning',
    'publicAccessBlock',
    'lifecycle',
    'location',
  ].find(s => req.query.has(s));
  return {
    bucket: decodeURIComponent(bucket),
    key: key.map(decodeURIComponent).join('/'),
    sub,
  };
}

/** The operation a request names, for fault rules. */
export function s3Operation(req: SandboxRequest): string {
  const { bucket, key, sub } = address(req);
  if (!bucket) return req.method === 'GET' ? 'ListBuckets' : 'Unknown';
  if (key)
    return (
      { PUT: 'PutObject', GET: 'GetObject', DELETE: 'DeleteObject' }[
        req.method
      ] ?? 'Unknown'
    );
  const names: Record<string, string> = {
    tagging: 'BucketTagging',
    encryption: 'BucketEncryption',
    versioning: 'BucketVersioning',
    publicAccessBlock: 'PublicAccessBlock',
    lifecycle: 'BucketLifecycleConfiguration',
    location: 'BucketLocation',
  };
  if (sub) {
    const verb = { PUT: 'Put', GET: 'Get', DELETE: 'Delete' }[req.method];
    return verb ? `${verb}${names[sub]}` : 'Unknown';
  }
  return (
    {
      PUT: 'CreateBucket',
      HEAD: 'HeadBucket',
      DELETE: 'DeleteBucket',
      GET: 'ListObjectsV2',
    }[req.method] ?? 'Unknown'
  );
}

/** S3's bucket naming rules (general purpose buckets). */
function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63)
    return 'Bucket names must be between 3 and 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name))
    return 'Bucket names can consist only of lowercase letters, numbers, dots and hyphens, and must begin and end with a letter or number';
  if (/\.\.|^\d+\.\d+\.\d+\.\d+$|^xn--|-s3alias$/.test(name))
    return 'The specified bucket is not valid.';
  return undefined;
}

/**
 * Amazon S3 (REST-XML, path-style addressing): general purpose buckets with tags, default
 * encryption, versioning, the public access block and lifecycle rules, and just enough objects to
 * make a bucket not empty. Bucket names are global across accounts; new buckets have SSE-S3
 * encryption and every public access setting blocked, as S3 does since 2023.
 */
export async function handleS3(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
): Promise<SandboxResponse> {
  const { bucket: name, key } = address(req);
  const op = s3Operation(req);
  if (op === 'Unknown')
    throw new ServiceError(
      405,
      'MethodNotAllowed',
      'The specified method is not allowed against this resource.',
    );
  if (!name) {
    const mine = ctx.state
      .list<Bucket>('s3', 'bucket')
      .filter(r => r.data.account === caller.account);
    return ok(
      200,
      `<ListAllMyBucketsResult xmlns="${NS}"><Buckets>${mine
        .map(r =>
          el('Bucket', [
            el('Name', r.data.name),
            el('CreationDate', new Date(r.createdAt).toISOString()),
            el('BucketRegion', r.data.region),
          ]),
        )
        .join('')}</Buckets></ListAllMyBucketsResult>`,
    );
  }

  if (op === 'CreateBucket') return createBucket(req, ctx, caller, name);
  const r = ctx.state.get<Bucket>('s3', 'bucket', name);
  if (!r)
    throw new ServiceError(
      404,
      'NoSuchBucket',
      'The specified bucket does not exist',
      { BucketName: name },
    );
  const b = r.data;
  if (b.account !== caller.account)
    throw new ServiceError(403, 'AccessDenied', 'Access Denied');
  if (b.region !== caller.region)
    throw new ServiceError(
      301,
      'PermanentRedirect',
      'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
      { BucketName: name, Endpoint: `s3.${b.region}.amazonaws.com` },
    );
  const save = () => ctx.state.put(r);

  switch (op) {
    case 'HeadBucket':
      return ok(200, undefined, { 'x-amz-bucket-region': b.region });
    case 'DeleteBucket':
      if (Object.keys(b.objects).length)
        throw new ServiceError(
          409,
          'BucketNotEmpty',
          'The bucket you tried to delete is not empty',
          { BucketName: name },
        );
      ctx.state.remove('s3', 'bucket', name);
      return ok(204);
    case 'PutObject':
      b.objects[key] = req.body.length;
      save();
      return ok(200, undefined, { etag: `"${randomUUID()}"` });
    case 'DeleteObject':
      delete b.objects[key];
      save();
      return ok(204);
    case 'ListObjectsV2': {
      const keys = Object.keys(b.objects).sort();
      return ok(
        200,
        `<ListBucketResult xmlns="${NS}">${el('Name', name)}${el(
          'KeyCount',
          keys.length,
        )}${el('MaxKeys', 1000)}${el('IsTruncated', false)}${keys
          .map(k => el('Contents', [text('Key', k), el('Size', b.objects[k])]))
          .join('')}</ListBucketResult>`,
      );
    }
    case 'GetBucketLocation':
      return ok(
        200,
        `<LocationConstraint xmlns="${NS}">${
          b.region === 'us-east-1' ? '' : b.region
        }</LocationConstraint>`,
      );
    case 'PutBucketTagging':
      b.tags = tagRecord(body(req, 'Tagging')?.TagSet?.Tag);
      save();
      return ok(204);
    case 'GetBucketTagging':
      if (!Object.keys(b.tags).length)
        throw new ServiceError(
          404,
          'NoSuchTagSet',
          'The TagSet does not exist',
          {
            BucketName: name,
          },
        );
      return ok(
        200,
        `<Tagging xmlns="${NS}"><TagSet>${Object.entries(b.tags)
          .map(([k, v]) => el('Tag', [text('Key', k), text('Value', v)]))
          .join('')}</TagSet></Tagging>`,
      );
    case 'DeleteBucketTagging':
      b.tags = {};
      save();
      return ok(204);
    case 'PutBucketEncryption': {
      const rule = body(req, 'ServerSideEncryptionConfiguration')?.Rule?.[0]
        ?.ApplyServerSideEncryptionByDefault;
      const algorithm = rule?.SSEAlgorithm;
      if (!['AES256', 'aws:kms', 'aws:kms:dsse'].includes(algorithm))
        throw malformed();
      if (algorithm === 'AES256' && rule.KMSMasterKeyID)
        throw new ServiceError(
          400,
          'InvalidArgument',
          'a KMS key id may only be provided with aws:kms encryption',
        );
      b.encryption = { algorithm, kmsKeyId: rule.KMSMasterKeyID };
      save();
      return ok(200);
    }
    case 'GetBucketEncryption':
      return ok(
        200,
        `<ServerSideEncryptionConfiguration xmlns="${NS}"><Rule><ApplyServerSideEncryptionByDefault>${el(
          'SSEAlgorithm',
          b.encryption.algorithm,
        )}${text(
          'KMSMasterKeyID',
          b.encryption.kmsKeyId,
        )}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
      );
    case 'PutBucketVersioning': {
      const status = body(req, 'VersioningConfiguration')?.Status;
      if (status !== 'Enabled' && status !== 'Suspended') throw malformed();
      b.versioning = status;
      save();
      return ok(200);
    }
    case 'GetBucketVersioning':
      return ok(
        200,
        `<VersioningConfiguration xmlns="${NS}">${el(
          'Status',
          b.versioning,
        )}</VersioningConfiguration>`,
      );
    case 'PutPublicAccessBlock': {
      const given = body(req, 'PublicAccessBlockConfiguration');
      b.publicAccessBlock = Object.fromEntries(
        PUBLIC_ACCESS_SETTINGS.map(s => [s, given[s] === 'true']),
      ) as Bucket['publicAccessBlock'];
      save();
      return ok(200);
    }
    case 'GetPublicAccessBlock':
      if (!b.publicAccessBlock)
        throw new ServiceError(
          404,
          'NoSuchPublicAccessBlockConfiguration',
          'The public access block configuration was not found',
          { BucketName: name },
        );
      return ok(
        200,
        `<PublicAccessBlockConfiguration xmlns="${NS}">${PUBLIC_ACCESS_SETTINGS.map(
          s => el(s, b.publicAccessBlock![s]),
        ).join('')}</PublicAccessBlockConfiguration>`,
      );
    case 'DeletePublicAccessBlock':
      b.publicAccessBlock = undefined;
      save();
      return ok(204);
    case 'PutBucketLifecycleConfiguration':
      b.lifecycle = lifecycleRules(req);
      save();
      return ok(200);
    case 'GetBucketLifecycleConfiguration':
      if (!b.lifecycle?.length)
        throw new ServiceError(
          404,
          'NoSuchLifecycleConfiguration',
          'The lifecycle configuration does not exist',
          { BucketName: name },
        );
      return ok(
        200,
        `<LifecycleConfiguration xmlns="${NS}">${b.lifecycle
          .map(rule =>
            el('Rule', [
              text('ID', rule.id),
              el('Filter', [text('Prefix', rule.prefix)]),
              el('Status', rule.status),
              rule.expirationDays
                ? el('Expiration', [el('Days', rule.expirationDays)])
                : '',
              rule.noncurrentDays
                ? el('NoncurrentVersionExpiration', [
                    el('NoncurrentDays', rule.noncurrentDays),
                  ])
                : '',
            ]),
          )
          .join('')}</LifecycleConfiguration>`,
      );
    case 'DeleteBucketLifecycleConfiguration':
      b.lifecycle = undefined;
      save();
      return ok(204);
    default:
      throw new ServiceError(
        501,
        'NotImplemented',
        `The sandbox does not emulate S3 ${op}`,
      );
  }
}

function createBucket(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  name: string,
): SandboxResponse {
  const problem = bucketNameProblem(name);
  if (problem)
    throw new ServiceError(400, 'InvalidBucketName', problem, {
      BucketName: name,
    });
  const raw = req.body.toString('utf8').trim();
  const configuration = raw ? body(req, 'CreateBucketConfiguration') : {};
  const constraint = configuration.LocationConstraint;
  // General purpose buckets take their tags at creation (CreateBucketConfiguration.Tags).
  const tags = tagRecord(configuration.Tags?.Tag);
  // us-east-1 takes no location constraint; every other region must name itself.
  if (
    caller.region === 'us-east-1'
      ? constraint !== undefined
      : constraint !== caller.region
  )
    throw new ServiceError(
      400,
      caller.region === 'us-east-1'
        ? 'InvalidLocationConstraint'
        : 'IllegalLocationConstraintException',
      constraint === undefined
        ? 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.'
        : `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    );
  const existing = ctx.state.get<Bucket>('s3', 'bucket', name);
  if (existing) {
    if (existing.data.account !== caller.account)
      throw new ServiceError(
        409,
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        { BucketName: name },
      );
    // us-east-1 answers a create of one's own bucket with success, other regions refuse it.
    if (caller.region !== 'us-east-1')
      throw new ServiceError(
        409,
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        { BucketName: name },
      );
    return ok(200, undefined, { location: `/${name}` });
  }
  ctx.state.put<Bucket>({
    service: 's3',
    type: 'bucket',
    id: name,
    account: caller.account,
    region: caller.region,
    createdAt: Date.now(),
    data: {
      name,
      account: caller.account,
      region: caller.region,
      tags,
      encryption: { algorithm: 'AES256' },
      publicAccessBlock: Object.fromEntries(
        PUBLIC_ACCESS_SETTINGS.map(s => [s, true]),
      ) as Bucket['publicAccessBlock'],
      objects: {},
    },
  });
  return ok(200, undefined, { location: `/${name}` });
}

/** The rules of a lifecycle configuration, refused as S3 refuses them. */
function lifecycleRules(req: SandboxRequest): LifecycleRule[] {
  if (
    !req.headers['content-md5'] &&
    !Object.keys(req.headers).some(h => h.startsWith('x-amz-checksum-'))
  )
    throw new ServiceError(
      400,
      'InvalidRequest',
      'Missing required header for this request: Content-MD5 or x-amz-checksum-*',
    );
  const rules: any[] = body(req, 'LifecycleConfiguration')?.Rule ?? [];
  if (!rules.length || rules.length > 1000) throw malformed();
  const ids = new Set<string>();
  return rules.map((rule, i) => {
    const id = String(rule.ID ?? `rule-${i + 1}`);
    if (ids.has(id))
      throw new ServiceError(
        400,
        'InvalidArgument',
        'Rule ID must be unique. Found same ID for more than one rule',
      );
    ids.add(id);
    if (rule.Status !== 'Enabled' && rule.Status !== 'Disabled')
      throw malformed();
    const days = (v: unknown) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new ServiceError(
          400,
          'InvalidArgument',
          "'Days' for Expiration action must be a positive integer",
        );
      return n;
    };
    const expirationDays = days(rule.Expiration?.Days);
    const noncurrentDays = days(
      rule.NoncurrentVersionExpiration?.NoncurrentDays,
    );
    if (
      expirationDays === undefined &&
      noncurrentDays === undefined &&
      !rule.AbortIncompleteMultipartUpload
    )
      throw new ServiceError(
        400,
        'InvalidRequest',
        'At least one action needs to be specified in a rule',
      );
    return {
      id,
      status: rule.Status,
      prefix: String(rule.Filter?.Prefix ?? rule.Prefix ?? ''),
      expirationDays,
      noncurrentDays,
    };
  });
}
