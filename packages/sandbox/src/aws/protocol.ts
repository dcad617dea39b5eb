import { randomUUID } from 'node:crypto';
import { SandboxRequest, SandboxResponse, ServiceError } from '../types';

/** What a SigV4 signature says of its request: the access key, session token and scope. */
export interface SignedScope {
  service: string;
  region: string;
  accessKeyId: string;
  /** `X-Amz-Security-Token`, sent with temporary credentials. */
  sessionToken?: string;
}

/** The AWS service, region and account a request is signed for. */
export interface AwsCaller extends SignedScope {
  account: string;
}

/**
 * Reads the SigV4 credential scope (`AKID/date/region/service/aws4_request`) and the session
 * token; the key is looked up (`identityOf`) and the signature verified (`signatureRefusal`)
 * apart.
 */
export function signedScope(req: SandboxRequest): SignedScope | undefined {
  const auth = String(req.headers.authorization ?? '');
  const m = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
    auth,
  );
  if (!m) return undefined;
  const token = req.headers['x-amz-security-token'];
  return {
    accessKeyId: m[1],
    region: m[2],
    service: m[3],
    sessionToken: typeof token === 'string' ? token : undefined,
  };
}

// ---- query protocol (STS, RDS, EC2): form-encoded parameters ----------------------------

/** Flat query parameters of a form-encoded request body (plus the URL's query string). */
export function queryParams(req: SandboxRequest): Map<string, string> {
  const params = new Map<string, string>(req.query);
  for (const [k, v] of new URLSearchParams(req.body.toString('utf8')))
    params.set(k, v);
  return params;
}

/**
 * The members of a serialized list: `Prefix.N...`, `Prefix.member.N...` or `Prefix.Tag.N...`.
 * Each member is a map of its remaining key path ('' for a scalar member).
 */
export function listMembers(
  params: Map<string, string>,
  prefix: string,
): Map<string, string>[] {
  const byIndex = new Map<number, Map<string, string>>();
  const re = new RegExp(
    `^${prefix.replace(/\./g, '\\.')}\\.(?:[A-Za-z]+\\.)?(\\d+)(?:\\.(.*))?$`,
  );
  for (const [k, v] of params) {
    const m = re.exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    if (!byIndex.has(i)) byIndex.set(i, new Map());
    byIndex.get(i)!.set(m[2] ?? '', v);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]);
}

/** Scalar list values: `Prefix.1=a&Prefix.2=b` or `Prefix.member.1=a`. */
export function listValues(
  params: Map<string, string>,
  prefix: string,
): string[] {
  return listMembers(params, prefix)
    .map(m => m.get('') ?? '')
    .filter(Boolean);
}

/** `Key`/`Value` pairs of a tag list under `prefix`. */
export function tagsOf(
  params: Map<string, string>,
  prefix: string,
): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const m of listMembers(params, prefix)) {
    const k = m.get('Key');
    if (k) tags[k] = m.get('Value') ?? '';
  }
  return tags;
}

export function required(
  params: Map<string, string>,
  name: string,
  code = 'MissingParameter',
): string {
  const v = params.get(name);
  if (v === undefined || v === '') {
    throw new ServiceError(
      400,
      code,
      `The request must contain the parameter ${name}`,
    );
  }
  return v;
}

// ---- XML ---------------------------------------------------------------------------------

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** An XML element; `undefined` content omits it, arrays of strings are concatenated children. */
export function el(
  name: string,
  content: string | number | boolean | undefined | string[],
): string {
  if (content === undefined) return '';
  let inner: string;
  if (Array.isArray(content)) inner = content.join('');
  else if (typeof content === 'string' && content.startsWith('<'))
    inner = content;
  else inner = String(content).replace(/[&<>"']/g, c => escapes[c]);
  return `<${name}>${inner}</${name}>`;
}

/** Escaped text content (for strings that might start with `<`). */
export function text(name: string, value: string | undefined): string {
  return value === undefined
    ? ''
    : `<${name}>${value.replace(/[&<>"']/g, c => escapes[c])}</${name}>`;
}

/** A query protocol `TagList` of `Tag` members, as RDS and ElastiCache answer `ListTagsForResource`. */
export const tagList = (tags: Record<string, string>) =>
  el(
    'TagList',
    Object.entries(tags).map(([k, v]) =>
      el('Tag', text('Key', k) + text('Value', v)),
    ),
  );

export function xml(body: string, status = 200): SandboxResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

/** A query-protocol (STS, RDS) success response: `<XResponse><XResult>...</XResult>...`. */
export function queryResult(
  action: string,
  result: string,
  ns: string,
): SandboxResponse {
  return xml(
    `<${action}Response xmlns="${ns}"><${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

/** A query-protocol (STS, RDS) error response. */
export function queryError(e: ServiceError): SandboxResponse {
  const type = e.status >= 500 ? 'Receiver' : 'Sender';
  return xml(
    `<ErrorResponse><Error><Type>${type}</Type>${text('Code', e.code)}${text(
      'Message',
      e.message,
    )}</Error>` + `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    e.status,
  );
}

/** An EC2 error response (EC2's own shape). */
export function ec2Error(e: ServiceError): SandboxResponse {
  return xml(
    `<Response><Errors><Error>${text('Code', e.code)}${text(
      'Message',
      e.message,
    )}</Error></Errors>` + `<RequestID>${randomUUID()}</RequestID></Response>`,
    e.status,
  );
}

/** JSON error (JSON 1.1 and REST-JSON protocols). */
export function jsonError(e: ServiceError): SandboxResponse {
  return {
    status: e.status,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-errortype': e.code,
    },
    body: JSON.stringify({ __type: e.code, message: e.message, ...e.extra }),
  };
}

/** The error a fault outcome stands for, in a service's terms. */
export function faultError(
  kind: 'throttle' | 'server-error' | 'quota',
  codes: {
    throttle: [number, string];
    quota: [number, string];
    internal?: [number, string];
  },
): ServiceError {
  if (kind === 'throttle')
    return new ServiceError(
      codes.throttle[0],
      codes.throttle[1],
      'Rate exceeded',
    );
  if (kind === 'quota')
    return new ServiceError(
      codes.quota[0],
      codes.quota[1],
      'You have reached the quota for this resource',
    );
  const [status, code] = codes.internal ?? [500, 'InternalFailure'];
  return new ServiceError(
    status,
    code,
    'We encountered an internal error. Please try again.',
  );
}

/** Turns a thrown value into the protocol's error response; never lets the sandbox crash. */
export function asServiceError(e: unknown): ServiceError {
  if (e instanceof ServiceError) return e;
  return new ServiceError(
    500,
    'InternalFailure',
    `The sandbox failed: ${(e as Error)?.message ?? e}`,
  );
}

/** AWS timestamps: ISO 8601 for XML protocols. */
export function isoTime(ms: number) {
  return new Date(ms).toISOString();
}

/** Availability zones of a region: a, b and c. */
export function zonesOf(region: string) {
  return ['a', 'b', 'c'].map((s, i) => ({
    name: `${region}${s}`,
    id: `${region.replace(/-/g, '').slice(0, 6)}-az${i + 1}`,
  }));
}
