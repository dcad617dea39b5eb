import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The secret access key of every access key id the sandbox takes (each key id stands for the
 * account its 12 digits name). Requests signed with another secret are refused, as AWS refuses
 * them.
 */
export const SANDBOX_SECRET_ACCESS_KEY = 'sandbox-not-a-secret';

/** AWS takes a signature for 15 minutes either side of its date. */
const SKEW_MS = 15 * 60_000;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** A request as it came over the wire, for its canonical form. */
export interface SignedRequest {
  method: string;
  /** The request target as sent: the path, still percent-encoded, and its query string. */
  target: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Why AWS would refuse a request's signature: `expired` for a date outside the 15 minutes AWS
 * allows, `mismatch` for a signature the secret does not produce (or a malformed signing),
 * `payload` for a body whose hash is not the one the client declared.
 */
export interface SignatureRefusal {
  kind: 'expired' | 'mismatch' | 'payload';
  message: string;
}

/** ISO 8601 basic format, as SigV4 dates are written: `20260101T000000Z`. */
const basic = (ms: number) =>
  new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

function parseBasic(date: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/** RFC 3986 encoding, as SigV4 canonicalises: everything but `A-Za-z0-9-_.~`. */
const escape = (s: string) =>
  encodeURIComponent(s).replace(
    /[!'()*]/g,
    c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * The canonical URI: S3 signs the path as sent; every other service signs it normalised (no
 * empty, `.` or `..` segments) and encoded once more.
 */
function canonicalPath(path: string, service: string) {
  if (service === 's3') return path || '/';
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalised = `/${segments.join('/')}${
    segments.length > 0 && path.endsWith('/') ? '/' : ''
  }`;
  return escape(normalised).replace(/%2F/g, '/');
}

/** The canonical query string: each pair decoded, encoded by RFC 3986, sorted; the signature left out. */
function canonicalQuery(query: string) {
  return query
    .split('&')
    .filter(Boolean)
    .map(pair => {
      const at = pair.indexOf('=');
      const [k, v] =
        at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
      return [escape(decode(k)), escape(decode(v))];
    })
    .filter(([k]) => k.toLowerCase() !== 'x-amz-signature')
    .sort(([ak, av], [bk, bv]) => {
      if (ak !== bk) return ak < bk ? -1 : 1;
      return av < bv ? -1 : 1;
    })
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const headerValue = (value: string | string[] | undefined) =>
  (Array.isArray(value) ? value.join(',') : value ?? '')
    .trim()
    .replace(/\s+/g, ' ');

function signature(
  secret: string,
  scope: string[],
  date: string,
  canonicalRequest: string,
) {
  const [day, region, service] = scope;
  const stringToSign = [
    ALGORITHM,
    date,
    scope.join('/'),
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(day).digest();
  for (const part of [region, service, 'aws4_request'])
    key = createHmac('sha256', key).update(part).digest();
  return {
    stringToSign,
    value: createHmac('sha256', key).update(stringToSign).digest('hex'),
  };
}

function canonical(
  req: Pick<SignedRequest, 'method' | 'headers'>,
  path: string,
  query: string,
  names: string[],
  payloadHash: string,
  service: string,
) {
  return [
    req.method,
    canonicalPath(path, service),
    canonicalQuery(query),
    ...names.map(n => `${n}:${headerValue(req.headers[n])}`),
    '',
    names.join(';'),
    payloadHash,
  ].join('\n');
}

/**
 * A presigned GET URL, as the SDKs presign one: what the sandbox's own services (Argo CD's
 * capability) put in an EKS token, signed with the sandbox's secret.
 */
export function presignGet(
  url: URL,
  headers: Record<string, string>,
  signer: {
    accessKeyId: string;
    /** Temporary credentials' session token, signed in the query as the SDKs sign it. */
    sessionToken?: string;
    secret: string;
    region: string;
    service: string;
  },
  expiresSeconds: number,
  now = Date.now(),
): URL {
  const date = basic(now);
  const scope = [
    date.slice(0, 8),
    signer.region,
    signer.service,
    'aws4_request',
  ];
  const all: Record<string, string> = { ...headers, host: url.host };
  const names = Object.keys(all)
    .map(n => n.toLowerCase())
    .sort();
  const signed = new URL(url);
  for (const [k, v] of Object.entries({
    'X-Amz-Algorithm': ALGORITHM,
    'X-Amz-Credential': `${signer.accessKeyId}/${scope.join('/')}`,
    'X-Amz-Date': date,
    'X-Amz-Expires': String(expiresSeconds),
    ...(signer.sessionToken && { 'X-Amz-Security-Token': signer.sessionToken }),
    'X-Amz-SignedHeaders': names.join(';'),
  }))
    signed.searchParams.set(k, v);
  // URLSearchParams writes a space as `+`; SigV4 encodes it as `%20`.
  const query = signed.search.slice(1).replace(/\+/g, '%20');
  const canonicalRequest = canonical(
    { method: 'GET', headers: all },
    signed.pathname,
    query,
    names,
    EMPTY_SHA256,
    signer.service,
  );
  signed.search = `${query}&X-Amz-Signature=${
    signature(signer.secret, scope, date, canonicalRequest).value
  }`;
  return signed;
}

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Why AWS would refuse this request's Signature Version 4 signature, or undefined when the
 * signature is the one `secret` makes, as AWS verifies it: the `Authorization` header's, or a
 * presigned URL's (`X-Amz-Signature` in the query). `now` is the server's clock.
 */
export function signatureRefusal(
  req: SignedRequest,
  secret: string,
  now = Date.now(),
): SignatureRefusal | undefined {
  const at = req.target.indexOf('?');
  const path = at < 0 ? req.target : req.target.slice(0, at);
  const query = at < 0 ? '' : req.target.slice(at + 1);
  const params = new Map(
    query
      .split('&')
      .filter(Boolean)
      .map(pair => {
        const i = pair.indexOf('=');
        return i < 0
          ? [decode(pair).toLowerCase(), '']
          : [decode(pair.slice(0, i)).toLowerCase(), decode(pair.slice(i + 1))];
      }),
  );
  const presigned = params.has('x-amz-signature');
  let credential: string;
  let signedHeaders: string;
  let provided: string;
  let date: string;
  if (presigned) {
    credential = params.get('x-amz-credential') ?? '';
    signedHeaders = params.get('x-amz-signedheaders') ?? '';
    provided = params.get('x-amz-signature') ?? '';
    date = params.get('x-amz-date') ?? '';
  } else {
    const auth = headerValue(req.headers.authorization);
    const fields = new Map(
      auth
        .slice(ALGORITHM.length)
        .split(',')
        .map(f => f.trim().split('=') as [string, string]),
    );
    if (!auth.startsWith(`${ALGORITHM} `))
      return {
        kind: 'mismatch',
        message: `Unsupported algorithm in ${auth.split(' ')[0]}`,
      };
    credential = fields.get('Credential') ?? '';
    signedHeaders = fields.get('SignedHeaders') ?? '';
    provided = fields.get('Signature') ?? '';
    date = headerValue(req.headers['x-amz-date']);
  }
  const scope = credential.split('/').slice(1);
  const signedAt = parseBasic(date);
  if (signedAt === undefined)
    return {
      kind: 'mismatch',
      message: presigned
        ? "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
        : "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    };
  if (scope.length !== 4 || scope[3] !== 'aws4_request')
    return {
      kind: 'mismatch',
      message: `Credential should be scoped to a valid region, not '${
        scope[1] ?? ''
      }'.`,
    };
  if (scope[0] !== date.slice(0, 8))
    return {
      kind: 'mismatch',
      message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${
        scope[0]
      }' != '${date.slice(0, 8)}', from '${date}'.`,
    };
  const names = signedHeaders.split(';').filter(Boolean);
  if (!names.includes('host'))
    return {
      kind: 'mismatch',
      message:
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    };
  if (presigned) {
    const expires = Number(params.get('x-amz-expires') ?? 0);
    if (now > signedAt + expires * 1000)
      return { kind: 'expired', message: 'Request has expired' };
  } else if (now - signedAt > SKEW_MS) {
    return {
      kind: 'expired',
      message: `Signature expired: ${date} is now earlier than ${basic(
        now - SKEW_MS,
      )} (${basic(now)} - 15 min.)`,
    };
  } else if (signedAt - now > SKEW_MS) {
    return {
      kind: 'expired',
      message: `Signature not yet current: ${date} is still later than ${basic(
        now + SKEW_MS,
      )} (${basic(now)} + 15 min.)`,
    };
  }

  const declared = presigned
    ? params.get('x-amz-content-sha256')
    : headerValue(req.headers['x-amz-content-sha256']) || undefined;
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  if (declared && /^[0-9a-f]{64}$/.test(declared) && declared !== bodyHash)
    return {
      kind: 'payload',
      message:
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    };
  // A presigned URL without a declared hash signs an empty payload, as the SDKs presign.
  const payloadHash = declared ?? (presigned ? EMPTY_SHA256 : bodyHash);
  const canonicalRequest = canonical(
    req,
    path,
    query,
    names,
    payloadHash,
    scope[2],
  );
  const expected = signature(secret, scope, date, canonicalRequest);
  if (
    provided.length === expected.value.length &&
    timingSafeEqual(Buffer.from(provided), Buffer.from(expected.value))
  )
    return undefined;
  return {
    kind: 'mismatch',
    message: `${MISMATCH}\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${expected.stringToSign}'\n`,
  };
}
