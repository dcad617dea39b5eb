import { createHash } from 'node:crypto';
import {
  ACMClient,
  CertificateDetail,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ListTagsForCertificateCommand,
  paginateListCertificates,
  RequestCertificateCommand,
  ResourceRecord,
  ResourceInUseException,
} from '@aws-sdk/client-acm';
import {
  Change,
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  ResourceRecordSet,
  Route53Client,
  InvalidChangeBatch,
} from '@aws-sdk/client-route-53';
import type { OutputsOf, SpecOf } from '@konductor/plugin-provisioning-common';
import {
  adopt,
  AwsClients,
  isOwned,
  NOT_FOUND,
  ignoring,
  removalOf,
  RemovalResult,
  ResourceContext,
  ResourceHandler,
  retryDependency,
  stackTags,
  tagList,
  tagRecord,
} from '@konductor/plugin-provisioning-node';
import type { domain } from './domain';

type Ctx = ResourceContext<SpecOf<typeof domain>>;
type Outputs = OutputsOf<typeof domain>;

const TTL = 300;
/** Where a name's ownership is recorded: a TXT record beside it (a CNAME allows no other record). */
const ownerName = (fqdn: string) => `_konductor.${fqdn}`;
const dotted = (name: string) => `${name.replace(/\.$/, '')}.`;

/** The ownership tags as TXT strings (`"konductor:stack=shop-dev"`), and back. */
const txtOf = (tags: Record<string, string>) =>
  Object.entries(tags)
    .map(([k, v]) => `"${k}=${v}"`)
    .join(' ');
function tagsOfTxt(values: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const value of values)
    for (const [, pair] of value.matchAll(/"([^"]*)"/g)) {
      const i = pair.indexOf('=');
      if (i > 0) tags[pair.slice(0, i)] = pair.slice(i + 1);
    }
  return tags;
}

/**
 * Whether Konductor writes record set `r` for `fqdn`: the name's CNAME, its ownership TXT record,
 * or an ACM validation CNAME one label below it.
 */
function writtenByKonductor(r: ResourceRecordSet, fqdn: string) {
  const name = dotted(fqdn);
  if (r.Name === name) return r.Type === 'CNAME';
  if (r.Name === dotted(ownerName(fqdn))) return r.Type === 'TXT';
  return (
    r.Type === 'CNAME' &&
    /^_[^.]+$/.test(r.Name!.slice(0, -name.length - 1)) &&
    r.Name!.endsWith(`.${name}`) &&
    !!r.ResourceRecords?.every(v => v.Value!.endsWith('.acm-validations.aws.'))
  );
}

/**
 * A stack's DNS name and its certificate. The name (a CNAME to the app's ingress host) is created
 * with a TXT record that carries the ownership tags, in one atomic batch, so an existing name is
 * adopted only when that record says this stack and owner; the ACM certificate is tagged, found
 * again by its tags, and validated through a record under the name.
 */
export class DomainHandler implements ResourceHandler<typeof domain> {
  constructor(private readonly aws: AwsClients) {}

  async create(ctx: Ctx): Promise<Outputs> {
    const fqdn = this.fqdn(ctx);
    const zoneId = await this.zoneId(ctx);
    await this.claimName(ctx, zoneId, fqdn);
    const arn = await this.certificate(ctx, fqdn);
    const record = await this.aws.wait<ResourceRecord>(
      ctx,
      `the validation record of ACM certificate for ${fqdn}`,
      async () => {
        const r = (await this.describe(ctx, arn))?.DomainValidationOptions?.[0]
          ?.ResourceRecord;
        return r ? { done: r } : { state: 'not offered yet' };
      },
    );
    await this.change(ctx, zoneId, `validation record of ${fqdn}`, [
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: record.Name,
          Type: 'CNAME',
          TTL: TTL,
          ResourceRecords: [{ Value: record.Value }],
        },
      },
    ]);
    await this.aws.wait(ctx, `ACM certificate for ${fqdn}`, async () => {
      const c = await this.describe(ctx, arn);
      if (c?.Status === 'ISSUED') return { done: true };
      if (c && c.Status !== 'PENDING_VALIDATION')
        throw new Error(
          `ACM did not issue the certificate for ${fqdn}: ${c.Status}${
            c.FailureReason ? ` (${c.FailureReason})` : ''
          }`,
        );
      return { state: c?.Status ?? 'unknown' };
    });
    return { fqdn, url: `https://${fqdn}`, arn, hostedZoneId: zoneId };
  }

  async exists(ctx: Ctx, outputs: Outputs) {
    const c = await this.describe(ctx, outputs.arn);
    return c?.Status === 'ISSUED' || c?.Status === 'PENDING_VALIDATION';
  }

  async destroy(ctx: Ctx): Promise<RemovalResult> {
    const removal = removalOf(ctx);
    const fqdn = this.fqdn(ctx);
    const acm = await this.aws.client(ACMClient, ctx);
    for (const c of await this.certificates(ctx, fqdn)) {
      const what = `ACM certificate ${c.arn}`;
      // A load balancer lets go of the certificate a moment after the app's ingress is gone.
      if (removal.mayDelete(what, c.tags))
        await retryDependency(
          this.aws,
          ctx,
          what,
          () =>
            acm.send(new DeleteCertificateCommand({ CertificateArn: c.arn })),
          [ResourceInUseException],
        );
    }
    const zoneId = await this.zoneId(ctx).catch(() => undefined);
    if (!zoneId) return removal.result();
    // The records Konductor writes for the name go together, when the name is ours; a record
    // someone else made under it stays.
    const records = (await this.records(ctx, zoneId, fqdn)).filter(r =>
      writtenByKonductor(r, fqdn),
    );
    const owner = records.find(
      r => r.Name === dotted(ownerName(fqdn)) && r.Type === 'TXT',
    );
    if (
      owner &&
      removal.mayDelete(
        `DNS name ${fqdn}`,
        tagsOfTxt(owner.ResourceRecords!.map(v => v.Value!)),
      )
    )
      await this.change(
        ctx,
        zoneId,
        `deletion of ${fqdn}`,
        records.map(r => ({ Action: 'DELETE', ResourceRecordSet: r })),
      );
    return removal.result();
  }

  private fqdn(ctx: Ctx) {
    return `${ctx.resource.host}.${ctx.resource.zone}`;
  }

  /** The public hosted zone named by the spec: exactly one, or an error that says what to do. */
  private async zoneId(ctx: Ctx) {
    const r53 = await this.aws.client(Route53Client, ctx);
    const zone = dotted(ctx.resource.zone);
    // Listed from the name on: the zones so named come first, if any.
    const { HostedZones = [] } = await r53.send(
      new ListHostedZonesByNameCommand({ DNSName: zone, MaxItems: 100 }),
    );
    const named = HostedZones.filter(
      z => z.Name === zone && !z.Config?.PrivateZone,
    );
    if (named.length !== 1)
      throw new Error(
        named.length
          ? `${named.length} public hosted zones are named ${zone} in account ${ctx.spec.target.accountId}: Konductor cannot tell which one serves the name; keep one`
          : `No public Route 53 hosted zone named ${zone} in account ${ctx.spec.target.accountId}: choose a zone the account has, or ask the platform team to create it`,
      );
    return named[0].Id!.replace('/hostedzone/', '');
  }

  /**
   * Creates the name and its ownership record together; when the name exists, adopts it only if
   * its ownership record says this stack and owner (and points it at the app again).
   */
  private async claimName(ctx: Ctx, zoneId: string, fqdn: string) {
    const cname: ResourceRecordSet = {
      Name: fqdn,
      Type: 'CNAME',
      TTL: TTL,
      ResourceRecords: [{ Value: this.aws.appHost(ctx) }],
    };
    try {
      await this.change(ctx, zoneId, `DNS name ${fqdn}`, [
        { Action: 'CREATE', ResourceRecordSet: cname },
        {
          Action: 'CREATE',
          ResourceRecordSet: {
            Name: ownerName(fqdn),
            Type: 'TXT',
            TTL: TTL,
            ResourceRecords: [{ Value: txtOf(stackTags(ctx)) }],
          },
        },
      ]);
    } catch (e) {
      if (!(e instanceof InvalidChangeBatch)) throw e;
      const owner = (await this.records(ctx, zoneId, fqdn)).find(
        r => r.Name === dotted(ownerName(fqdn)) && r.Type === 'TXT',
      );
      adopt(
        ctx,
        `DNS name ${fqdn}`,
        tagsOfTxt(owner?.ResourceRecords?.map(v => v.Value!) ?? []),
      );
      await this.change(ctx, zoneId, `DNS name ${fqdn}`, [
        { Action: 'UPSERT', ResourceRecordSet: cname },
      ]);
    }
  }

  /**
   * The certificate for the name: this stack's and owner's if one exists, else a new one, requested
   * with a token from the stack, resource and run so that a retried request within the hour
   * yields the same certificate.
   */
  private async certificate(ctx: Ctx, fqdn: string) {
    const mine = (await this.certificates(ctx, fqdn)).find(c =>
      isOwned(c.tags, ctx),
    );
    if (mine) return mine.arn;
    const acm = await this.aws.client(ACMClient, ctx);
    const { CertificateArn } = await acm.send(
      new RequestCertificateCommand({
        DomainName: fqdn,
        ValidationMethod: 'DNS',
        IdempotencyToken: createHash('sha256')
          .update(`${ctx.stackId}/${ctx.name}/${ctx.runId}`)
          .digest('hex')
          .slice(0, 32),
        Tags: tagList(stackTags(ctx)),
      }),
    );
    return CertificateArn!;
  }

  /** The certificates of the account and region for `fqdn`, with their tags. */
  private async certificates(ctx: Ctx, fqdn: string) {
    const acm = await this.aws.client(ACMClient, ctx);
    const found: { arn: string; tags: Record<string, string> }[] = [];
    for await (const page of paginateListCertificates({ client: acm }, {}))
      for (const c of page.CertificateSummaryList ?? [])
        if (c.DomainName === fqdn) {
          const { Tags } = (await acm
            .send(
              new ListTagsForCertificateCommand({
                CertificateArn: c.CertificateArn,
              }),
            )
            .catch(ignoring(NOT_FOUND))) ?? { Tags: undefined };
          found.push({ arn: c.CertificateArn!, tags: tagRecord(Tags) });
        }
    return found;
  }

  private async describe(
    ctx: Ctx,
    arn: string,
  ): Promise<CertificateDetail | undefined> {
    const acm = await this.aws.client(ACMClient, ctx);
    return (
      await acm
        .send(new DescribeCertificateCommand({ CertificateArn: arn }))
        .catch(ignoring(NOT_FOUND))
    )?.Certificate;
  }

  /** The record sets at `fqdn` and below it. */
  private async records(ctx: Ctx, zoneId: string, fqdn: string) {
    const r53 = await this.aws.client(Route53Client, ctx);
    const out: ResourceRecordSet[] = [];
    let start: { name?: string; type?: string } = { name: fqdn };
    for (;;) {
      const page = await r53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          StartRecordName: start.name,
          StartRecordType: start.type as any,
        }),
      );
      for (const r of page.ResourceRecordSets ?? [])
        if (r.Name === dotted(fqdn) || r.Name!.endsWith(`.${dotted(fqdn)}`))
          out.push(r);
      if (!page.IsTruncated) return out;
      start = { name: page.NextRecordName, type: page.NextRecordType };
    }
  }

  /** Applies a change batch and waits until Route 53 has it on all its name servers. */
  private async change(
    ctx: Ctx,
    zoneId: string,
    what: string,
    changes: Change[],
  ) {
    const r53 = await this.aws.client(Route53Client, ctx);
    const { ChangeInfo } = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Comment: `Konductor: ${ctx.stackId}`, Changes: changes },
      }),
    );
    await this.aws.wait(ctx, `Route 53 change of ${what}`, async () => {
      const { ChangeInfo: info } = await r53.send(
        new GetChangeCommand({ Id: ChangeInfo!.Id }),
      );
      return info?.Status === 'INSYNC'
        ? { done: true }
        : { state: info?.Status ?? 'PENDING' };
    });
  }
}
