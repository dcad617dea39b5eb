import { identityOf, INVALID_TOKEN } from '../aws/credentials';
import { signatureRefusal } from '../aws/sigv4';

const PREFIX = 'k8s-aws-v1.';
const MAX_TOKEN_BYTES = 4096;
const EXPIRATION_MS = 15 * 60_000;
const PARAMETERS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);
const STS_HOST = /^sts(\.[a-z]{2}(-gov)?-[a-z]+-\d)?\.amazonaws\.com(\.cn)?$/;

/**
 * Why an `Authorization` header is not an EKS token for `cluster`, or undefined when it is one: a
 * bearer `k8s-aws-v1.` token whose base64url body is a presigned STS GetCallerIdentity URL that
 * signs the `x-k8s-aws-id` header and is at most 15 minutes old, checked as aws-iam-authenticator
 * does; then its signature, as STS checks it, with `x-k8s-aws-id` set to the cluster's name, so a
 * token signed for another cluster or with another secret is refused, and so is an access key or
 * session token STS does not know; last, whether the account whose identity signed it is
 * `allowed` on the cluster, as EKS maps it to a Kubernetes user or refuses it.
 */
export function eksTokenError(
  authorization: string,
  verify: {
    cluster: string;
    secret: string;
    allowed: (account: string) => boolean;
  },
  now = Date.now(),
): string | undefined {
  const token = /^Bearer (\S+)$/.exec(authorization)?.[1];
  if (!token) return 'no bearer token';
  if (token.length > MAX_TOKEN_BYTES) return 'token is too large';
  if (!token.startsWith(PREFIX))
    return `token is missing expected "${PREFIX}" prefix`;
  let url: URL;
  try {
    url = new URL(
      Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'),
    );
  } catch {
    return 'the token is not a pre-signed URL';
  }
  if (url.protocol !== 'https:')
    return `unexpected scheme "${url.protocol.slice(0, -1)}" in pre-signed URL`;
  if (!STS_HOST.test(url.host))
    return `unexpected hostname "${url.host}" in pre-signed URL`;
  if (url.pathname !== '/') return 'unexpected path in pre-signed URL';
  const params = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (!PARAMETERS.has(key.toLowerCase()))
      return `non-whitelisted query parameter "${key}"`;
    if (params.has(key.toLowerCase()))
      return 'query parameter with multiple values not supported';
    params.set(key.toLowerCase(), value);
  }
  if (params.get('action') !== 'GetCallerIdentity')
    return 'unexpected action parameter in pre-signed URL';
  const signed = (params.get('x-amz-signedheaders') ?? '')
    .toLowerCase()
    .split(';');
  if (!signed.includes('x-k8s-aws-id'))
    return 'client did not sign the x-k8s-aws-id header in the pre-signed URL';
  const expires = Number(params.get('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 0 || expires > 900)
    return `invalid X-Amz-Expires parameter in pre-signed URL: ${params.get(
      'x-amz-expires',
    )}`;
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(
    params.get('x-amz-date') ?? '',
  );
  if (!date)
    return 'X-Amz-Date parameter must be present in pre-signed URL, as yyyymmddThhmmssZ';
  const signedAt = Date.UTC(
    +date[1],
    +date[2] - 1,
    +date[3],
    +date[4],
    +date[5],
    +date[6],
  );
  if (now > signedAt + EXPIRATION_MS)
    return `X-Amz-Date parameter is expired (15 minute expiration) ${new Date(
      signedAt,
    ).toISOString()}`;
  const identity = identityOf(
    (params.get('x-amz-credential') ?? '').split('/')[0],
    params.get('x-amz-security-token'),
    verify.secret,
  );
  if ('unknown' in identity)
    return `STS refused the pre-signed URL: ${INVALID_TOKEN}`;
  const refusal = signatureRefusal(
    {
      method: 'GET',
      target: `${url.pathname}${url.search}`,
      headers: { host: url.host, 'x-k8s-aws-id': verify.cluster },
      body: Buffer.alloc(0),
    },
    verify.secret,
    // STS checks the signature when the authenticator asks it, within the token's 15 minutes.
    Math.min(now, signedAt),
  );
  if (refusal) return `STS refused the pre-signed URL: ${refusal.message}`;
  return verify.allowed(identity.account) ? undefined : 'ARN is not mapped';
}
