import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
} from '../types';
import { handleEc2, ec2Operation } from './ec2';
import { eksOperation, handleEks } from './eks';
import {
  asServiceError,
  AwsCaller,
  ec2Error,
  faultError,
  jsonError,
  queryError,
  signedScope,
} from './protocol';
import { identityOf, INVALID_TOKEN } from './credentials';
import { acmOperation, handleAcm } from './acm';
import { elastiCacheOperation, handleElastiCache } from './elasticache';
import { handleRds, rdsOperation } from './rds';
import { handleRoute53, route53Operation } from './route53';
import {
  handleSecretsManager,
  secretsManagerOperation,
} from './secretsManager';
import { handleS3, s3Error, s3Operation } from './s3';
import { handleSts, stsOperation } from './sts';
import { signatureRefusal } from './sigv4';

/**
 * Each AWS service: how to name the operation of a request, how to answer it, how its errors
 * look, what throttling and quota errors it uses, how it refuses a signature that does not match
 * and one whose date is too far from its clock, and credentials it does not know (an access key
 * id, or a session token where the service names that apart).
 */
const services = {
  sts: {
    op: stsOperation,
    handle: handleSts,
    error: queryError,
    throttle: [400, 'Throttling'],
    quota: [400, 'LimitExceeded'],
    signature: [403, 'SignatureDoesNotMatch'],
    expired: [403, 'SignatureDoesNotMatch'],

    credentials: [403, 'InvalidClientTokenId', INVALID_TOKEN],
  },
  ec2: {
    op: ec2Operation,
    handle: handleEc2,
    error: ec2Error,
    throttle: [503, 'RequestLimitExceeded'],
    quota: [400, 'ResourceLimitExceeded'],
    internal: [500, 'InternalError'],
    signature: [403, 'SignatureDoesNotMatch'],
    expired: [400, 'RequestExpired'],

    credentials: [
      401,
      'AuthFailure',
      'AWS was not able to validate the provided access credentials',
    ],
  },
  rds: {
    op: rdsOperation,
    handle: handleRds,
    error: queryError,
    throttle: [400, 'Throttling'],
    quota: [400, 'InstanceQuotaExceeded'],
    internal: [500, 'InternalFailure'],
    signature: [403, 'SignatureDoesNotMatch'],
    expired: [403, 'SignatureDoesNotMatch'],

    credentials: [403, 'InvalidClientTokenId', INVALID_TOKEN],
  },
  elasticache: {
    op: elastiCacheOperation,
    handle: handleElastiCache,
    error: queryError,
    throttle: [400, 'Throttling'],
    quota: [400, 'NodeQuotaForCustomerExceeded'],
    internal: [500, 'InternalFailure'],
    signature: [403, 'SignatureDoesNotMatch'],
    expired: [403, 'SignatureDoesNotMatch'],

    credentials: [403, 'InvalidClientTokenId', INVALID_TOKEN],
  },
  secretsmanager: {
    op: secretsManagerOperation,
    handle: handleSecretsManager,
    error: jsonError,
    throttle: [400, 'ThrottlingException'],
    quota: [400, 'LimitExceededException'],
    internal: [500, 'InternalServiceError'],
    signature: [400, 'InvalidSignatureException'],
    expired: [400, 'InvalidSignatureException'],

    credentials: [403, 'UnrecognizedClientException', INVALID_TOKEN],
  },
  s3: {
    op: s3Operation,
    handle: handleS3,
    error: s3Error,
    throttle: [503, 'SlowDown'],
    quota: [400, 'TooManyBuckets'],
    internal: [500, 'InternalError'],
    signature: [403, 'SignatureDoesNotMatch'],
    expired: [403, 'RequestTimeTooSkewed'],

    credentials: [
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    ],
    sessionToken: [
      400,
      'InvalidToken',
      'The provided token is malformed or otherwise invalid.',
    ],
  },
  route53: {
    op: route53Operation,
    handle: handleRoute53,
    error: queryError,
    throttle: [400, 'Throttling'],
    quota: [400, 'LimitsExceeded'],
    internal: [500, 'InternalFailure'],
    signature: [403, 'SignatureDoesNotMatch'],
    expired: [403, 'SignatureDoesNotMatch'],

    credentials: [403, 'InvalidClientTokenId', INVALID_TOKEN],
  },
  acm: {
    op: acmOperation,
    handle: handleAcm,
    error: jsonError,
    throttle: [400, 'ThrottlingException'],
    quota: [400, 'LimitExceededException'],
    internal: [500, 'InternalFailure'],
    signature: [400, 'InvalidSignatureException'],
    expired: [400, 'InvalidSignatureException'],

    credentials: [403, 'UnrecognizedClientException', INVALID_TOKEN],
  },
  eks: {
    op: eksOperation,
    handle: handleEks,
    error: jsonError,
    throttle: [429, 'ThrottlingException'],
    quota: [400, 'ResourceLimitExceededException'],
    internal: [500, 'ServerException'],
    signature: [403, 'InvalidSignatureException'],
    expired: [403, 'InvalidSignatureException'],

    credentials: [403, 'UnrecognizedClientException', INVALID_TOKEN],
  },
} as const;

/** Answers a SigV4-signed request, or returns undefined when the request is not for AWS. */
export async function handleAws(
  req: SandboxRequest,
  ctx: SandboxContext,
): Promise<SandboxResponse | undefined> {
  const scope = signedScope(req);
  if (!scope) return undefined;
  const service = services[scope.service as keyof typeof services];
  if (!service) {
    return jsonError(
      asServiceError(
        new (class extends Error {})(
          `The sandbox does not emulate AWS service '${scope.service}'`,
        ),
      ),
    );
  }
  try {
    // AWS looks up the key before it can verify a signature made with its secret.
    const identity = identityOf(
      scope.accessKeyId,
      scope.sessionToken,
      ctx.secretAccessKey,
    );
    if ('unknown' in identity) {
      const [status, code, message] =
        identity.unknown === 'session-token' && 'sessionToken' in service
          ? service.sessionToken
          : service.credentials;
      throw new ServiceError(status, code, message);
    }
    const caller: AwsCaller = { ...scope, account: identity.account };
    const refusal = signatureRefusal(
      { ...req, target: req.target ?? req.path },
      ctx.secretAccessKey,
    );
    if (refusal) {
      const [status, code] =
        refusal.kind === 'payload'
          ? [400, 'XAmzContentSHA256Mismatch']
          : service[refusal.kind === 'expired' ? 'expired' : 'signature'];
      throw new ServiceError(status, code, refusal.message);
    }
    const operation = service.op(req);
    const counted = `${caller.service}:${operation}`;
    ctx.calls.set(counted, (ctx.calls.get(counted) ?? 0) + 1);
    const outcome = await ctx.fault(caller.service, operation);
    if (outcome.error) {
      throw faultError(outcome.error, service as any);
    }
    if (!outcome.holdBy)
      return await service.handle(req, ctx, caller, outcome.failLongOperation);
    // The creates this request starts stay in progress until the hold rule is removed.
    const before = new Set(ctx.state.all());
    const response = await service.handle(
      req,
      ctx,
      caller,
      outcome.failLongOperation,
    );
    const now = Date.now();
    for (const r of ctx.state.all())
      if (!before.has(r) && r.readyAt !== undefined && r.readyAt > now) {
        r.held = { by: outcome.holdBy, ms: r.readyAt - now };
        r.readyAt = Number.MAX_SAFE_INTEGER;
      }
    ctx.state.save();
    return response;
  } catch (e) {
    return service.error(asServiceError(e));
  }
}
