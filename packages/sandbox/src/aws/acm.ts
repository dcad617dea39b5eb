import { createHash, randomUUID } from 'node:crypto';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
  json,
  parseJson,
} from '../types';
import { SandboxResource } from '../state';
import { AwsCaller } from './protocol';
import { fqdn, publicRecords } from './route53';

interface Certificate {
  arn: string;
  domainName: string;
  names: string[];
  validationMethod: 'DNS' | 'EMAIL';
  tags: { Key: string; Value: string }[];
  token?: string;
  /** When every validation record was first found in a public hosted zone. */
  validatedAt?: number;
  issuedAt?: number;
  inUseBy: string[];
}

/** ACM remembers an idempotency token for one hour. */
const TOKEN_MS = 3600_000;
const DOMAIN =
  /^(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$/;
const ARN = /^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;

const secs = (ms: number) => ms / 1000;
const reply = (body: unknown) =>
  json(200, body, { 'content-type': 'application/x-amz-json-1.1' });
const validation = (message: string) =>
  new ServiceError(400, 'ValidationException', message);

/**
 * The CNAME that proves control of `domain` for DNS validation: the same for every certificate of
 * the account that names the domain, as ACM's are.
 */
export function validationRecord(account: string, domain: string) {
  const h = (s: string) => createHash('sha256').update(s).digest('hex');
  const base = domain.replace(/^\*\./, '');
  return {
    Name: `_${h(`${account}/${base}/name`).slice(0, 32)}.${base}.`,
    Type: 'CNAME',
    Value: `_${h(`${account}/${base}/value`).slice(0, 32)}.${h(base).slice(
      0,
      10,
    )}.acm-validations.aws.`,
  };
}

/** The operation a request names, for fault rules. */
export const acmOperation = (req: SandboxRequest) =>
  String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';

/**
 * ACM (JSON 1.1): certificates requested with DNS validation. The validation record is offered a
 * moment after the request; the certificate is issued once every name's record is found in a
 * public Route 53 hosted zone of the sandbox, and is pending until then. A certificate in use
 * cannot be deleted.
 */
export async function handleAcm(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
): Promise<SandboxResponse> {
  const op = acmOperation(req);
  const body = parseJson(
    req,
    () =>
      new ServiceError(
        400,
        'SerializationException',
        'Start of structure or map found where not expected.',
      ),
  );
  const inScope = (r: SandboxResource) =>
    r.account === caller.account && r.region === caller.region;
  const find = (arn: unknown) => {
    if (typeof arn !== 'string' || !ARN.test(arn))
      throw new ServiceError(
        400,
        'InvalidArnException',
        `String '${String(arn)}' is not a valid ARN.`,
      );
    const r = ctx.state.get<Certificate>('acm', 'certificate', arn);
    if (!r || !inScope(r))
      throw new ServiceError(
        400,
        'ResourceNotFoundException',
        `Could not find certificate with arn ${arn}.`,
      );
    return r;
  };

  /** Moves a pending certificate on when its validation records resolve. */
  const refresh = (r: SandboxResource<Certificate>) => {
    const c = r.data;
    const now = Date.now();
    if (c.issuedAt || c.validationMethod !== 'DNS') return;
    if (!c.validatedAt) {
      if (now < r.createdAt + ctx.durations.certificateRecord) return;
      const records = publicRecords(ctx.state);
      const resolves = c.names.every(name => {
        const want = validationRecord(caller.account, name);
        return records.some(
          x =>
            x.type === 'CNAME' &&
            x.name === fqdn(want.Name) &&
            x.values.map(fqdn).includes(fqdn(want.Value)),
        );
      });
      if (!resolves) return;
      c.validatedAt = now;
    }
    if (now >= c.validatedAt + ctx.durations.certificateIssue)
      c.issuedAt = c.validatedAt + ctx.durations.certificateIssue;
    ctx.state.save();
  };

  const status = (r: SandboxResource<Certificate>) =>
    r.data.issuedAt ? 'ISSUED' : 'PENDING_VALIDATION';

  switch (op) {
    case 'RequestCertificate': {
      const domainName = body.DomainName;
      if (
        typeof domainName !== 'string' ||
        domainName.length > 253 ||
        !DOMAIN.test(domainName)
      )
        throw validation(
          `1 validation error detected: Value '${domainName}' at 'domainName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${DOMAIN.source}`,
        );
      // ACM: "The first domain name you enter cannot exceed 64 octets, including periods."
      if (domainName.length > 64)
        throw validation(
          `The first domain name you enter cannot exceed 64 octets, including periods: ${domainName} has ${domainName.length}.`,
        );
      const method = body.ValidationMethod ?? 'EMAIL';
      if (!['DNS', 'EMAIL'].includes(method))
        throw validation(
          `1 validation error detected: Value '${method}' at 'validationMethod' failed to satisfy constraint: Member must satisfy enum value set: [EMAIL, DNS, HTTP]`,
        );
      const sans: string[] = body.SubjectAlternativeNames ?? [];
      if (sans.length > 10)
        throw new ServiceError(
          400,
          'LimitExceededException',
          'Cannot request a certificate with more than 10 domain names.',
        );
      for (const name of sans)
        if (!DOMAIN.test(name))
          throw new ServiceError(
            400,
            'InvalidDomainValidationOptionsException',
            `${name} is not a valid domain name.`,
          );
      const token = body.IdempotencyToken;
      if (token !== undefined && !/^\w{1,32}$/.test(token))
        throw validation(
          `1 validation error detected: Value '${token}' at 'idempotencyToken' failed to satisfy constraint: Member must satisfy regular expression pattern: \\w+`,
        );
      const tags: { Key: string; Value: string }[] = body.Tags ?? [];
      if (tags.length > 50)
        throw new ServiceError(
          400,
          'TooManyTagsException',
          'The request contains too many tags.',
        );
      if (tags.some(t => /^aws:/i.test(t.Key)))
        throw new ServiceError(
          400,
          'InvalidTagException',
          'Tag keys beginning with aws: are reserved.',
        );
      const names = [...new Set([domainName.toLowerCase(), ...sans])];
      if (token) {
        const earlier = ctx.state
          .list<Certificate>('acm', 'certificate')
          .find(
            r =>
              inScope(r) &&
              r.data.token === token &&
              Date.now() - r.createdAt < TOKEN_MS &&
              r.data.names.join() === names.join(),
          );
        if (earlier) return reply({ CertificateArn: earlier.data.arn });
      }
      const arn = `arn:aws:acm:${caller.region}:${
        caller.account
      }:certificate/${randomUUID()}`;
      ctx.state.put<Certificate>({
        service: 'acm',
        type: 'certificate',
        id: arn,
        account: caller.account,
        region: caller.region,
        createdAt: Date.now(),
        data: {
          arn,
          domainName: names[0],
          names,
          validationMethod: method,
          tags,
          token,
          inUseBy: [],
        },
      });
      return reply({ CertificateArn: arn });
    }

    case 'DescribeCertificate': {
      const r = find(body.CertificateArn);
      refresh(r);
      const c = r.data;
      const offered =
        c.validationMethod === 'DNS' &&
        Date.now() >= r.createdAt + ctx.durations.certificateRecord;
      return reply({
        Certificate: {
          CertificateArn: c.arn,
          DomainName: c.domainName,
          SubjectAlternativeNames: c.names,
          DomainValidationOptions: c.names.map(name => ({
            DomainName: name,
            ValidationDomain: name,
            ValidationMethod: c.validationMethod,
            ValidationStatus: c.issuedAt ? 'SUCCESS' : 'PENDING_VALIDATION',
            ResourceRecord: offered
              ? validationRecord(caller.account, name)
              : undefined,
          })),
          Status: status(r),
          Type: 'AMAZON_ISSUED',
          KeyAlgorithm: 'RSA-2048',
          CreatedAt: secs(r.createdAt),
          IssuedAt: c.issuedAt ? secs(c.issuedAt) : undefined,
          NotBefore: c.issuedAt ? secs(c.issuedAt) : undefined,
          NotAfter: c.issuedAt ? secs(c.issuedAt + 395 * 86400_000) : undefined,
          InUseBy: c.inUseBy,
          RenewalEligibility: c.inUseBy.length ? 'ELIGIBLE' : 'INELIGIBLE',
        },
      });
    }

    case 'ListCertificates': {
      const max = body.MaxItems ?? 1000;
      if (!Number.isInteger(max) || max < 1 || max > 1000)
        throw validation(
          `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`,
        );
      const statuses: string[] | undefined = body.CertificateStatuses;
      const all = ctx.state
        .list<Certificate>('acm', 'certificate')
        .filter(inScope)
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
      all.forEach(refresh);
      const matching = all.filter(
        r => !statuses?.length || statuses.includes(status(r)),
      );
      const start = body.NextToken ? Number(body.NextToken) : 0;
      if (!Number.isInteger(start) || start < 0)
        throw new ServiceError(
          400,
          'InvalidArgsException',
          'The NextToken is not valid.',
        );
      const page = matching.slice(start, start + max);
      return reply({
        CertificateSummaryList: page.map(r => ({
          CertificateArn: r.data.arn,
          DomainName: r.data.domainName,
          SubjectAlternativeNameSummaries: r.data.names,
          Status: status(r),
          Type: 'AMAZON_ISSUED',
          InUse: r.data.inUseBy.length > 0,
          CreatedAt: secs(r.createdAt),
        })),
        NextToken:
          start + max < matching.length ? String(start + max) : undefined,
      });
    }

    case 'ListTagsForCertificate':
      return reply({ Tags: find(body.CertificateArn).data.tags });

    case 'DeleteCertificate': {
      const r = find(body.CertificateArn);
      if (r.data.inUseBy.length)
        throw new ServiceError(
          400,
          'ResourceInUseException',
          `Certificate ${r.data.arn} in account ${caller.account} is in use.`,
        );
      ctx.state.remove('acm', 'certificate', r.id);
      return reply({});
    }

    default:
      throw new ServiceError(
        400,
        'UnknownOperationException',
        `The sandbox does not emulate ACM operation ${op}`,
      );
  }
}
