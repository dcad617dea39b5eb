import { randomBytes } from 'node:crypto';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  ReleaseAddressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  Tag,
} from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DBInstance,
  DeleteDBInstanceCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  ListTagsForResourceCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  paginateListSecrets,
} from '@aws-sdk/client-secrets-manager';
import {
  Cluster,
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListNodegroupsCommand,
} from '@aws-sdk/client-eks';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { ResourceKind, splitCidr } from '@konductor/plugin-provisioning-common';
import type {
  CloudProvider,
  RemovalResult,
  ResourceContext,
  ResourceOutputs,
} from '../provider';
import { adopt, isOwned, keepReason, stackTags, tagRecord } from './ownership';
import { waitFor } from '../waitFor';
import { CALL_TIMEOUT_MS } from '../timeouts';
import { BackoffRetryStrategy } from './retry';
import { KubernetesDeployer } from './KubernetesDeployer';

/** How the AWS provider reaches AWS. */
export interface AwsProviderOptions {
  /** SDK credentials for an account (from `@backstage/integration-aws-node` in the module). */
  credentials(accountId: string): Promise<AwsCredentialIdentityProvider>;
  /** Endpoint override for every AWS client (the sandbox); unset for real AWS. */
  endpoint?: string;
  /** Interval between status polls of long operations; default 10 s. */
  pollIntervalMs?: number;
  /** How long one AWS or Kubernetes call may take (then it is retried); default 30 s. */
  callTimeoutMs?: number;
  /** Retries of throttling and 5xx errors; default 8 attempts, 200 ms base, 20 s cap. */
  retry?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /** IAM role of EKS clusters; default `arn:aws:iam::<account>:role/konductor-eks-cluster`. */
  clusterRoleArn?(accountId: string): string;
  /** IAM role of EKS nodes; default `arn:aws:iam::<account>:role/konductor-eks-node`. */
  nodeRoleArn?(accountId: string): string;
  /** KMS key for EKS secrets encryption; default the `alias/konductor-eks` of the account. */
  kmsKeyArn?(accountId: string, region: string): string;
  /** Lambda that rotates secrets, when rotation is asked for. */
  rotationLambdaArn?(accountId: string, region: string): string | undefined;
  /** DNS domain under which apps get their host name; default `apps.konductor.local`. */
  appDomain?: string;
}

/** Whether the removal in progress may delete `what`, carrying `tags`; records it as kept if not. */
type MayDelete = (
  what: string,
  tags?: { Key?: string; Value?: string }[] | Record<string, string>,
) => boolean;

const DEFAULT_RETRY = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 20_000 };

const tagList = (tags: Record<string, string>): Tag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const errorName = (e: unknown) => (e as { name?: string })?.name ?? '';
const notFound = (e: unknown) =>
  /NotFound|ResourceNotFoundException/.test(errorName(e));
/** A strong random password of URL-safe characters. */
const password = () => randomBytes(24).toString('base64url');

/** Konductor's AWS provider: VPC networks, RDS PostgreSQL, Secrets Manager, EKS and the app. */
export class AwsProvider implements CloudProvider {
  readonly id = 'aws';
  private readonly clients = new Map<string, any>();
  private readonly deployer: KubernetesDeployer;

  constructor(private readonly options: AwsProviderOptions) {
    this.deployer = new KubernetesDeployer({
      cluster: ctx => this.describeCluster(ctx),
      credentials: ctx => this.options.credentials(ctx.spec.aws.accountId),
      secretValue: (ctx, name) => this.secretValue(ctx, name),
      pollIntervalMs: options.pollIntervalMs ?? 10_000,
      appDomain: options.appDomain ?? 'apps.konductor.local',
      retry: options.retry ?? DEFAULT_RETRY,
      callTimeoutMs: options.callTimeoutMs ?? CALL_TIMEOUT_MS,
    });
  }

  /** An SDK client of `Client` for the stack's account and region, with Konductor's retries. */
  private async client<T>(
    Client: new (config: any) => T,
    ctx: ResourceContext,
  ): Promise<T> {
    const { accountId, region } = ctx.spec.aws;
    const key = `${Client.name}/${accountId}/${region}`;
    if (!this.clients.has(key)) {
      this.clients.set(
        key,
        new Client({
          region,
          endpoint: this.options.endpoint,
          credentials: await this.options.credentials(accountId),
          // A call without an answer is abandoned (and retried as transient), never awaited forever.
          requestHandler: {
            connectionTimeout: 5_000,
            requestTimeout: this.options.callTimeoutMs ?? CALL_TIMEOUT_MS,
            throwOnRequestTimeout: true,
          },
          retryStrategy: new BackoffRetryStrategy(
            this.options.retry ?? DEFAULT_RETRY,
          ),
        }),
      );
    }
    const client = this.clients.get(key);
    // Cancelling a run aborts the call in flight too, not only the next one. (Rollback runs with
    // a signal of its own.)
    return new Proxy(client, {
      get: (target, prop) =>
        prop === 'send'
          ? (command: unknown, options?: object) =>
              target.send(command, { abortSignal: ctx.signal, ...options })
          : Reflect.get(target, prop),
    });
  }

  private wait<T>(
    ctx: ResourceContext,
    what: string,
    probe: () => Promise<{ done: T } | { state: string }>,
  ) {
    return waitFor({
      what,
      probe,
      intervalMs: this.options.pollIntervalMs ?? 10_000,
      deadline: ctx.deadline,
      signal: ctx.signal,
      progress: ctx.progress,
    });
  }

  async create(
    kind: ResourceKind,
    ctx: ResourceContext,
  ): Promise<ResourceOutputs> {
    switch (kind) {
      case 'network':
        return this.createNetwork(ctx);
      case 'database':
        return this.createDatabase(ctx);
      case 'secrets':
        return this.createSecrets(ctx);
      case 'cluster':
        return this.createCluster(ctx);
      case 'app':
        return this.deployer.deploy(ctx);
      default:
        throw new Error(`The AWS provider has no resource kind ${kind}`);
    }
  }

  async exists(
    kind: ResourceKind,
    ctx: ResourceContext,
    outputs: ResourceOutputs,
  ): Promise<boolean> {
    try {
      switch (kind) {
        case 'network': {
          const ec2 = await this.client(EC2Client, ctx);
          return !!(
            await ec2.send(
              new DescribeVpcsCommand({ VpcIds: [String(outputs.vpcId)] }),
            )
          ).Vpcs?.length;
        }
        case 'database': {
          const rds = await this.client(RDSClient, ctx);
          const db = (
            await rds.send(
              new DescribeDBInstancesCommand({
                DBInstanceIdentifier: String(outputs.instanceId),
              }),
            )
          ).DBInstances?.[0];
          return db?.DBInstanceStatus === 'available';
        }
        case 'secrets': {
          const sm = await this.client(SecretsManagerClient, ctx);
          const names = this.secretNames(ctx);
          for (const name of names) {
            const s = await sm.send(
              new DescribeSecretCommand({ SecretId: name }),
            );
            if (s.DeletedDate) return false;
          }
          return true;
        }
        case 'cluster':
          return (await this.describeCluster(ctx)).status === 'ACTIVE';
        case 'app':
          return this.deployer.exists(ctx);
        default:
          return false;
      }
    } catch (e) {
      if (notFound(e)) return false;
      throw e;
    }
  }

  async destroy(
    kind: ResourceKind,
    ctx: ResourceContext,
  ): Promise<RemovalResult> {
    switch (kind) {
      case 'network':
        return this.destroyNetwork(ctx);
      case 'database':
        return this.destroyDatabase(ctx);
      case 'secrets':
        return this.destroySecrets(ctx);
      case 'cluster':
        return this.destroyCluster(ctx);
      case 'app':
        return this.deployer.remove(ctx);
      default:
        throw new Error(`The AWS provider has no resource kind ${kind}`);
    }
  }

  // ---- network ----------------------------------------------------------------------------

  /** The VPC tagged as this stack's network and carrying this stack's owner, if there is one. */
  private async findVpc(ctx: ResourceContext) {
    const ec2 = await this.client(EC2Client, ctx);
    const { Vpcs } = await ec2.send(
      new DescribeVpcsCommand({
        Filters: [
          { Name: 'tag:konductor:stack', Values: [ctx.stackId] },
          { Name: 'tag:konductor:resource', Values: ['network'] },
        ],
      }),
    );
    const vpcs = Vpcs ?? [];
    return vpcs.find(v => isOwned(tagRecord(v.Tags), ctx)) ?? vpcs[0];
  }

  private async createNetwork(ctx: ResourceContext): Promise<ResourceOutputs> {
    const spec = ctx.spec.resources.network!;
    const ec2 = await this.client(EC2Client, ctx);
    const tags = stackTags(ctx, 'network');
    let vpc = await this.findVpc(ctx);
    if (vpc) adopt(ctx, `VPC ${vpc.VpcId}`, tagRecord(vpc.Tags));
    else {
      vpc = (
        await ec2.send(
          new CreateVpcCommand({
            CidrBlock: spec.cidr,
            TagSpecifications: [
              {
                ResourceType: 'vpc',
                Tags: tagList({ ...tags, Name: ctx.stackId }),
              },
            ],
          }),
        )
      ).Vpc!;
    }
    const vpcId = vpc.VpcId!;
    await this.wait(ctx, `VPC ${vpcId}`, async () => {
      const v = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })))
        .Vpcs?.[0];
      return v?.State === 'available'
        ? { done: true }
        : { state: v?.State ?? 'unknown' };
    });

    const zones = (
      (await ec2.send(new DescribeAvailabilityZonesCommand({})))
        .AvailabilityZones ?? []
    )
      .filter(z => z.State === 'available')
      .map(z => z.ZoneName!)
      .slice(0, spec.availabilityZones);
    if (zones.length < spec.availabilityZones) {
      throw new Error(
        `Region ${ctx.spec.aws.region} has ${zones.length} available zones; the network asks for ${spec.availabilityZones}`,
      );
    }
    // Private subnets first; with NAT gateways, as many public ones after them.
    const withNat = spec.natGateways > 0;
    const cidrs = splitCidr(
      spec.cidr,
      spec.availabilityZones * (withNat ? 2 : 1),
    );
    const existing =
      (
        await ec2.send(
          new DescribeSubnetsCommand({
            Filters: [{ Name: 'vpc-id', Values: [vpcId] }],
          }),
        )
      ).Subnets ?? [];
    const subnetIds: string[] = [];
    const publicSubnetIds: string[] = [];
    for (const [i, cidr] of cidrs.entries()) {
      const zone = i % spec.availabilityZones;
      const tier = i < spec.availabilityZones ? 'private' : 'public';
      const found = existing.find(s => s.CidrBlock === cidr);
      if (found) adopt(ctx, `subnet ${found.SubnetId}`, tagRecord(found.Tags));
      const subnet =
        found ??
        (
          await ec2.send(
            new CreateSubnetCommand({
              VpcId: vpcId,
              CidrBlock: cidr,
              AvailabilityZone: zones[zone],
              TagSpecifications: [
                {
                  ResourceType: 'subnet',
                  Tags: tagList({
                    ...tags,
                    Name: `${ctx.stackId}-${tier}-${zone + 1}`,
                  }),
                },
              ],
            }),
          )
        ).Subnet!;
      (tier === 'private' ? subnetIds : publicSubnetIds).push(subnet.SubnetId!);
    }
    if (!withNat) return { vpcId, subnetIds, cidr: spec.cidr };
    const natGatewayIds = await this.createEgress(
      ctx,
      vpcId,
      subnetIds,
      publicSubnetIds,
    );
    return {
      vpcId,
      subnetIds,
      publicSubnetIds,
      natGatewayIds,
      cidr: spec.cidr,
    };
  }

  /** A route table of the stack named `<stackId>-<role>`, created once, routing 0.0.0.0/0 to `target`. */
  private async routeTable(
    ctx: ResourceContext,
    vpcId: string,
    role: string,
    target: { GatewayId?: string; NatGatewayId?: string },
    subnetIds: string[],
  ) {
    const ec2 = await this.client(EC2Client, ctx);
    const name = `${ctx.stackId}-${role}`;
    const found = (
      await ec2.send(
        new DescribeRouteTablesCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'tag:Name', Values: [name] },
          ],
        }),
      )
    ).RouteTables?.[0];
    if (found)
      adopt(ctx, `route table ${found.RouteTableId}`, tagRecord(found.Tags));
    const table =
      found ??
      (
        await ec2.send(
          new CreateRouteTableCommand({
            VpcId: vpcId,
            TagSpecifications: [
              {
                ResourceType: 'route-table',
                Tags: tagList({ ...stackTags(ctx, 'network'), Name: name }),
              },
            ],
          }),
        )
      ).RouteTable!;
    const ignore =
      (...codes: string[]) =>
      (e: unknown) => {
        if (!codes.includes(errorName(e))) throw e;
      };
    await ec2
      .send(
        new CreateRouteCommand({
          RouteTableId: table.RouteTableId,
          DestinationCidrBlock: '0.0.0.0/0',
          ...target,
        }),
      )
      .catch(ignore('RouteAlreadyExists'));
    for (const subnetId of subnetIds) {
      if (table.Associations?.some(a => a.SubnetId === subnetId)) continue;
      await ec2
        .send(
          new AssociateRouteTableCommand({
            RouteTableId: table.RouteTableId,
            SubnetId: subnetId,
          }),
        )
        .catch(ignore('Resource.AlreadyAssociated'));
    }
  }

  /**
   * Outbound internet for private subnets: an internet gateway and a public route table for the
   * public subnets, `natGateways` NAT gateways (each with an Elastic IP) in them, and a private
   * route table per zone through the zone's NAT gateway.
   */
  private async createEgress(
    ctx: ResourceContext,
    vpcId: string,
    privateSubnets: string[],
    publicSubnets: string[],
  ): Promise<string[]> {
    const ec2 = await this.client(EC2Client, ctx);
    const count = ctx.spec.resources.network!.natGateways;
    const tags = stackTags(ctx, 'network');
    const byStack = { Name: 'tag:konductor:stack', Values: [ctx.stackId] };

    let igw = (
      await ec2.send(
        new DescribeInternetGatewaysCommand({ Filters: [byStack] }),
      )
    ).InternetGateways?.[0];
    if (igw)
      adopt(
        ctx,
        `internet gateway ${igw.InternetGatewayId}`,
        tagRecord(igw.Tags),
      );
    igw ??= (
      await ec2.send(
        new CreateInternetGatewayCommand({
          TagSpecifications: [
            {
              ResourceType: 'internet-gateway',
              Tags: tagList({ ...tags, Name: ctx.stackId }),
            },
          ],
        }),
      )
    ).InternetGateway!;
    if (!igw.Attachments?.some(a => a.VpcId === vpcId)) {
      await ec2
        .send(
          new AttachInternetGatewayCommand({
            InternetGatewayId: igw.InternetGatewayId,
            VpcId: vpcId,
          }),
        )
        .catch(e => {
          if (errorName(e) !== 'Resource.AlreadyAssociated') throw e;
        });
    }
    await this.routeTable(
      ctx,
      vpcId,
      'public',
      { GatewayId: igw.InternetGatewayId },
      publicSubnets,
    );

    const natGatewayIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const mine = [
        byStack,
        { Name: 'tag:konductor:nat', Values: [String(i)] },
      ];
      const found = (
        await ec2.send(new DescribeAddressesCommand({ Filters: mine }))
      ).Addresses?.[0];
      if (found)
        adopt(ctx, `Elastic IP ${found.AllocationId}`, tagRecord(found.Tags));
      const address =
        found ??
        (await ec2.send(
          new AllocateAddressCommand({
            Domain: 'vpc',
            TagSpecifications: [
              {
                ResourceType: 'elastic-ip',
                Tags: tagList({ ...tags, 'konductor:nat': String(i) }),
              },
            ],
          }),
        ));
      const live = (
        await ec2.send(
          new DescribeNatGatewaysCommand({
            Filter: [
              ...mine,
              { Name: 'state', Values: ['pending', 'available'] },
            ],
          }),
        )
      ).NatGateways?.[0];
      if (live)
        adopt(ctx, `NAT gateway ${live.NatGatewayId}`, tagRecord(live.Tags));
      const nat =
        live ??
        (
          await ec2.send(
            new CreateNatGatewayCommand({
              SubnetId: publicSubnets[i],
              AllocationId: address.AllocationId,
              TagSpecifications: [
                {
                  ResourceType: 'natgateway',
                  Tags: tagList({
                    ...tags,
                    'konductor:nat': String(i),
                    Name: `${ctx.stackId}-nat-${i + 1}`,
                  }),
                },
              ],
            }),
          )
        ).NatGateway!;
      natGatewayIds.push(nat.NatGatewayId!);
    }
    for (const id of natGatewayIds) {
      await this.wait(ctx, `NAT gateway ${id}`, async () => {
        const n = (
          await ec2.send(
            new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }),
          )
        ).NatGateways?.[0];
        if (n?.State === 'available') return { done: true };
        if (n?.State === 'failed')
          throw new Error(
            `NAT gateway ${id} failed: ${
              n.FailureMessage ?? n.FailureCode ?? 'state failed'
            }`,
          );
        return { state: n?.State ?? 'unknown' };
      });
    }
    for (const [zone, subnetId] of privateSubnets.entries()) {
      await this.routeTable(
        ctx,
        vpcId,
        `private-${zone + 1}`,
        { NatGatewayId: natGatewayIds[zone % count] },
        [subnetId],
      );
    }
    return natGatewayIds;
  }

  /**
   * A removal's bookkeeping: `mayDelete(what, tags)` says whether the removal may delete a
   * resource and, when it may not, records it (once) with the reason as kept.
   */
  private removalOf(ctx: ResourceContext) {
    const kept = new Set<string>();
    const mayDelete: MayDelete = (what, tags) => {
      const reason = keepReason(tagRecord(tags), ctx);
      if (reason) kept.add(`${what}: ${reason}`);
      return !reason;
    };
    return {
      kept,
      mayDelete,
      result: (): RemovalResult => ({ kept: [...kept] }),
    };
  }

  private async destroyNetwork(ctx: ResourceContext): Promise<RemovalResult> {
    const ec2 = await this.client(EC2Client, ctx);
    const removal = this.removalOf(ctx);
    const { mayDelete } = removal;
    const vpc = await this.findVpc(ctx);
    const byStack = { Name: 'tag:konductor:stack', Values: [ctx.stackId] };
    const vpcGoes = !!vpc && mayDelete(`VPC ${vpc.VpcId}`, vpc.Tags);
    if (vpc) {
      const inVpc = { Name: 'vpc-id', Values: [vpc.VpcId!] };
      // NAT gateways first: they hold Elastic IPs and keep the gateway and subnets in use.
      const nats = (
        (await ec2.send(new DescribeNatGatewaysCommand({ Filter: [inVpc] })))
          .NatGateways ?? []
      ).filter(
        n =>
          n.State !== 'deleting' &&
          n.State !== 'deleted' &&
          mayDelete(`NAT gateway ${n.NatGatewayId}`, n.Tags),
      );
      for (const n of nats) {
        await ec2.send(
          new DeleteNatGatewayCommand({ NatGatewayId: n.NatGatewayId }),
        );
      }
      const natIds = nats.map(n => n.NatGatewayId!);
      if (natIds.length)
        await this.wait(
          ctx,
          `NAT gateways of ${vpc.VpcId} deletion`,
          async () => {
            // By filter, not by id: a deleted gateway is eventually not found at all.
            const left = (
              (
                await ec2.send(
                  new DescribeNatGatewaysCommand({
                    Filter: [{ Name: 'nat-gateway-id', Values: natIds }],
                  }),
                )
              ).NatGateways ?? []
            ).filter(x => x.State !== 'deleted');
            return left.length
              ? { state: `${left.length} deleting` }
              : { done: true };
          },
        );
      for (const table of (
        await ec2.send(new DescribeRouteTablesCommand({ Filters: [inVpc] }))
      ).RouteTables ?? []) {
        // The VPC's main route table goes with the VPC.
        if (table.Associations?.some(a => a.Main)) continue;
        if (!mayDelete(`route table ${table.RouteTableId}`, table.Tags))
          continue;
        for (const a of table.Associations ?? [])
          await ec2.send(
            new DisassociateRouteTableCommand({
              AssociationId: a.RouteTableAssociationId,
            }),
          );
        await this.retryDependency(
          ctx,
          `route table ${table.RouteTableId}`,
          () =>
            ec2.send(
              new DeleteRouteTableCommand({ RouteTableId: table.RouteTableId }),
            ),
        );
      }
      for (const igw of (
        await ec2.send(
          new DescribeInternetGatewaysCommand({
            Filters: [{ Name: 'attachment.vpc-id', Values: [vpc.VpcId!] }],
          }),
        )
      ).InternetGateways ?? []) {
        if (!mayDelete(`internet gateway ${igw.InternetGatewayId}`, igw.Tags))
          continue;
        await this.retryDependency(
          ctx,
          `internet gateway ${igw.InternetGatewayId} detachment`,
          () =>
            ec2.send(
              new DetachInternetGatewayCommand({
                InternetGatewayId: igw.InternetGatewayId,
                VpcId: vpc.VpcId,
              }),
            ),
        );
      }
      for (const s of (
        await ec2.send(new DescribeSubnetsCommand({ Filters: [inVpc] }))
      ).Subnets ?? []) {
        if (!mayDelete(`subnet ${s.SubnetId}`, s.Tags)) continue;
        await this.retryDependency(ctx, `subnet ${s.SubnetId}`, () =>
          ec2.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId })),
        );
      }
    }
    // Tagged by the stack, found even when the VPC is already gone.
    for (const igw of (
      await ec2.send(
        new DescribeInternetGatewaysCommand({ Filters: [byStack] }),
      )
    ).InternetGateways ?? []) {
      if (!mayDelete(`internet gateway ${igw.InternetGatewayId}`, igw.Tags))
        continue;
      await this.retryDependency(
        ctx,
        `internet gateway ${igw.InternetGatewayId}`,
        () =>
          ec2.send(
            new DeleteInternetGatewayCommand({
              InternetGatewayId: igw.InternetGatewayId,
            }),
          ),
      );
    }
    for (const a of (
      await ec2.send(new DescribeAddressesCommand({ Filters: [byStack] }))
    ).Addresses ?? []) {
      if (!mayDelete(`Elastic IP ${a.AllocationId}`, a.Tags)) continue;
      await this.retryDependency(ctx, `Elastic IP ${a.AllocationId}`, () =>
        ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId })),
      );
    }
    if (vpc && vpcGoes) {
      // A VPC that still holds something kept cannot be deleted (it would wait forever).
      if (removal.kept.size)
        removal.kept.add(
          `VPC ${vpc.VpcId}: it still holds what was kept above`,
        );
      else
        await this.retryDependency(ctx, `VPC ${vpc.VpcId}`, () =>
          ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId })),
        );
    }
    return removal.result();
  }

  /** Deletes something that may still be in use for a moment (DependencyViolation); gone is done. */
  private async retryDependency(
    ctx: ResourceContext,
    what: string,
    del: () => Promise<unknown>,
  ) {
    await this.wait(ctx, `deleting ${what}`, async () => {
      try {
        await del();
        return { done: true };
      } catch (e) {
        if (notFound(e)) return { done: true };
        if (
          errorName(e) === 'DependencyViolation' ||
          errorName(e) === 'InvalidDBSubnetGroupStateFault'
        )
          return { state: 'in use by another resource' };
        throw e;
      }
    });
  }

  /** A security group of the stack (`<stackId>-<role>`), created once and then adopted; its rule ensured. */
  private async securityGroup(
    ctx: ResourceContext,
    kind: ResourceKind,
    role: string,
    ingressPort?: number,
  ) {
    const ec2 = await this.client(EC2Client, ctx);
    const vpcId = String(ctx.outputs.network!.vpcId);
    const name = `${ctx.stackId}-${role}`;
    const found = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'group-name', Values: [name] },
          ],
        }),
      )
    ).SecurityGroups?.[0];
    if (found)
      adopt(ctx, `security group ${found.GroupId}`, tagRecord(found.Tags));
    const GroupId =
      found?.GroupId ??
      (
        await ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: name,
            Description: `Konductor ${role} of ${ctx.stackId}`,
            VpcId: vpcId,
            TagSpecifications: [
              {
                ResourceType: 'security-group',
                Tags: tagList(stackTags(ctx, kind)),
              },
            ],
          }),
        )
      ).GroupId!;
    // Ensured on every attempt, adopted group included: a run that stopped between creating the
    // group and authorizing its rule must not leave the port closed.
    if (ingressPort) {
      await ec2
        .send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId,
            IpPermissions: [
              {
                IpProtocol: 'tcp',
                FromPort: ingressPort,
                ToPort: ingressPort,
                IpRanges: [
                  {
                    CidrIp: String(ctx.outputs.network!.cidr),
                    Description: 'from inside the VPC',
                  },
                ],
              },
            ],
          }),
        )
        .catch(e => {
          if (errorName(e) !== 'InvalidPermission.Duplicate') throw e;
        });
    }
    return GroupId!;
  }

  /** Deletes the stack's `<stackId>-<role>` security group when the removal may. */
  private async deleteSecurityGroup(
    ctx: ResourceContext,
    role: string,
    mayDelete: MayDelete,
  ) {
    const ec2 = await this.client(EC2Client, ctx);
    const vpc = await this.findVpc(ctx);
    if (!vpc) return;
    const group = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpc.VpcId!] },
            { Name: 'group-name', Values: [`${ctx.stackId}-${role}`] },
          ],
        }),
      )
    ).SecurityGroups?.[0];
    if (group && mayDelete(`security group ${group.GroupId}`, group.Tags))
      await this.retryDependency(ctx, `security group ${group.GroupId}`, () =>
        ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId })),
      );
  }

  // ---- database ---------------------------------------------------------------------------

  private dbId = (ctx: ResourceContext) => `${ctx.stackId}-db`;

  private async createDatabase(ctx: ResourceContext): Promise<ResourceOutputs> {
    const spec = ctx.spec.resources.database!;
    const rds = await this.client(RDSClient, ctx);
    const id = this.dbId(ctx);
    const tags = tagList(stackTags(ctx, 'database'));
    const groupId = await this.securityGroup(ctx, 'database', 'db', 5432);
    await rds
      .send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: id,
          DBSubnetGroupDescription: `Konductor database of ${ctx.stackId}`,
          SubnetIds: ctx.outputs.network!.subnetIds as string[],
          Tags: tags,
        }),
      )
      .catch(async e => {
        if (errorName(e) !== 'DBSubnetGroupAlreadyExistsFault') throw e;
        adopt(ctx, `DB subnet group ${id}`, await this.subnetGroupTags(ctx));
      });
    try {
      await rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          Engine: 'postgres',
          EngineVersion: spec.engineVersion,
          DBInstanceClass: spec.instanceClass,
          AllocatedStorage: spec.storageGb,
          StorageType: 'gp3',
          StorageEncrypted: spec.encrypted,
          MultiAZ: spec.multiAz,
          BackupRetentionPeriod: spec.backupRetentionDays,
          PreferredMaintenanceWindow: spec.maintenanceWindow,
          DeletionProtection: spec.deletionProtection,
          PubliclyAccessible: false,
          DBName: 'app',
          // Never stored anywhere: the secrets resource sets the password it keeps in Secrets Manager.
          MasterUsername: 'konductor',
          MasterUserPassword: password(),
          DBSubnetGroupName: id,
          VpcSecurityGroupIds: [groupId],
          Tags: tags,
        }),
      );
    } catch (e) {
      if (errorName(e) !== 'DBInstanceAlreadyExistsFault') throw e;
      const existing = (
        await rds.send(
          new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
        )
      ).DBInstances?.[0];
      adopt(ctx, `DB instance ${id}`, tagRecord(existing?.TagList));
    }
    const db = await this.wait<DBInstance>(
      ctx,
      `DB instance ${id}`,
      async () => {
        const d = (
          await rds.send(
            new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
          )
        ).DBInstances?.[0];
        if (d?.DBInstanceStatus === 'available') return { done: d! };
        if (d?.DBInstanceStatus === 'failed')
          throw new Error(`DB instance ${id} failed to create (status failed)`);
        return { state: d?.DBInstanceStatus ?? 'unknown' };
      },
    );
    return {
      instanceId: id,
      arn: db.DBInstanceArn!,
      endpoint: db.Endpoint!.Address!,
      port: db.Endpoint!.Port!,
      username: 'konductor',
      databaseName: 'app',
    };
  }

  /** The tags of the stack's DB subnet group (RDS lists them by ARN only). */
  private async subnetGroupTags(ctx: ResourceContext) {
    const rds = await this.client(RDSClient, ctx);
    const group = (
      await rds.send(
        new DescribeDBSubnetGroupsCommand({
          DBSubnetGroupName: this.dbId(ctx),
        }),
      )
    ).DBSubnetGroups?.[0];
    return tagRecord(
      (
        await rds.send(
          new ListTagsForResourceCommand({
            ResourceName: group?.DBSubnetGroupArn,
          }),
        )
      ).TagList,
    );
  }

  private async destroyDatabase(ctx: ResourceContext): Promise<RemovalResult> {
    const rds = await this.client(RDSClient, ctx);
    const removal = this.removalOf(ctx);
    const id = this.dbId(ctx);
    const db = await rds
      .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))
      .then(
        r => r.DBInstances?.[0],
        e => {
          if (notFound(e)) return undefined;
          throw e;
        },
      );
    if (db && removal.mayDelete(`DB instance ${id}`, db.TagList)) {
      if (db.DeletionProtection) {
        // Never switched off to make a removal work: turning it off is a deliberate change.
        removal.kept.add(
          `DB instance ${id}: deletion protection is on (turn it off with a change of the stack first)`,
        );
        return removal.result();
      }
      if (db.DBInstanceStatus === 'creating') {
        await this.wait(
          ctx,
          `DB instance ${id} to finish creating before deletion`,
          async () => {
            const s = (
              await rds.send(
                new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
              )
            ).DBInstances?.[0]?.DBInstanceStatus;
            return s === 'creating' ? { state: s } : { done: true };
          },
        );
      }
      const prod = ctx.spec.environment === 'prod';
      await rds
        .send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: id,
            SkipFinalSnapshot: !prod,
            FinalDBSnapshotIdentifier: prod
              ? `${id}-final-${Date.now()}`
              : undefined,
          }),
        )
        .catch(e => {
          if (!notFound(e) && errorName(e) !== 'InvalidDBInstanceStateFault')
            throw e;
        });
      await this.wait(ctx, `DB instance ${id} deletion`, async () => {
        try {
          const d = (
            await rds.send(
              new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
            )
          ).DBInstances?.[0];
          return { state: d?.DBInstanceStatus ?? 'deleting' };
        } catch (e) {
          if (notFound(e)) return { done: true };
          throw e;
        }
      });
    }
    // What the instance used stays while the instance does.
    if (removal.kept.size) return removal.result();
    const groupTags = await this.subnetGroupTags(ctx).catch(e => {
      if (notFound(e)) return undefined;
      throw e;
    });
    if (groupTags && removal.mayDelete(`DB subnet group ${id}`, groupTags))
      await this.retryDependency(ctx, `DB subnet group ${id}`, () =>
        rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: id })),
      );
    await this.deleteSecurityGroup(ctx, 'db', removal.mayDelete);
    return removal.result();
  }

  // ---- secrets ----------------------------------------------------------------------------

  /** The Secrets Manager names of a stack's secrets. */
  secretNames(ctx: ResourceContext): string[] {
    const s = ctx.spec.resources.secrets;
    if (!s) return [];
    return [...(s.databaseCredentials ? ['database'] : []), ...s.generated].map(
      n => `konductor/${ctx.stackId}/${n}`,
    );
  }

  private async createSecrets(ctx: ResourceContext): Promise<ResourceOutputs> {
    const spec = ctx.spec.resources.secrets!;
    const sm = await this.client(SecretsManagerClient, ctx);
    const tags = tagList(stackTags(ctx, 'secrets'));
    const arns: Record<string, string> = {};
    const put = async (name: string, value: string, replace: boolean) => {
      try {
        arns[name] = (
          await sm.send(
            new CreateSecretCommand({
              Name: name,
              SecretString: value,
              Tags: tags,
              Description: `Konductor secret of ${ctx.stackId}`,
            }),
          )
        ).ARN!;
      } catch (e) {
        if (errorName(e) !== 'ResourceExistsException') throw e;
        const existing = await sm.send(
          new DescribeSecretCommand({ SecretId: name }),
        );
        adopt(ctx, `secret ${name}`, tagRecord(existing.Tags));
        if (replace)
          await sm.send(
            new PutSecretValueCommand({ SecretId: name, SecretString: value }),
          );
        arns[name] = existing.ARN!;
      }
    };
    const [dbName, ...generated] = this.secretNames(ctx);
    if (spec.databaseCredentials) {
      const db = ctx.outputs.database!;
      const pass = password();
      // The database was created with a password nobody kept: set the one this secret holds.
      const rds = await this.client(RDSClient, ctx);
      await rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: String(db.instanceId),
          MasterUserPassword: pass,
          ApplyImmediately: true,
        }),
      );
      const url = `postgresql://${db.username}:${pass}@${db.endpoint}:${db.port}/${db.databaseName}`;
      await put(
        dbName,
        JSON.stringify({
          engine: 'postgres',
          host: db.endpoint,
          port: db.port,
          username: db.username,
          password: pass,
          dbname: db.databaseName,
          url,
        }),
        true,
      );
    }
    for (const name of spec.databaseCredentials
      ? generated
      : [dbName, ...generated].filter(Boolean)) {
      await put(name, randomBytes(32).toString('base64url'), false);
    }
    if (spec.rotationDays) {
      for (const name of Object.keys(arns)) {
        await sm.send(
          new RotateSecretCommand({
            SecretId: name,
            RotationRules: { AutomaticallyAfterDays: spec.rotationDays },
            RotateImmediately: false,
            RotationLambdaARN: this.options.rotationLambdaArn?.(
              ctx.spec.aws.accountId,
              ctx.spec.aws.region,
            ),
          }),
        );
      }
    }
    return {
      ...(spec.databaseCredentials ? { databaseSecretArn: arns[dbName] } : {}),
      secretArns: Object.values(arns),
    };
  }

  /** Reads one secret value for the deployer: `database.<key>` or a generated secret's name. */
  private async secretValue(
    ctx: ResourceContext,
    source: string,
  ): Promise<string> {
    const sm = await this.client(SecretsManagerClient, ctx);
    const [scope, key] = source.split('.');
    if (scope === 'database' && key) {
      const value = (
        await sm.send(
          new GetSecretValueCommand({
            SecretId: `konductor/${ctx.stackId}/database`,
          }),
        )
      ).SecretString!;
      return String(JSON.parse(value)[key === 'url' ? 'url' : key]);
    }
    return (
      await sm.send(
        new GetSecretValueCommand({
          SecretId: `konductor/${ctx.stackId}/${source}`,
        }),
      )
    ).SecretString!;
  }

  private async destroySecrets(ctx: ResourceContext): Promise<RemovalResult> {
    const sm = await this.client(SecretsManagerClient, ctx);
    const removal = this.removalOf(ctx);
    // Every secret under the stack's prefix, also those of generated names no longer in the spec.
    const found = new Map<string, { Key?: string; Value?: string }[]>();
    for await (const page of paginateListSecrets(
      { client: sm },
      { Filters: [{ Key: 'name', Values: [`konductor/${ctx.stackId}/`] }] },
    ))
      for (const secret of page.SecretList ?? [])
        found.set(secret.Name!, secret.Tags ?? []);
    for (const name of this.secretNames(ctx)) {
      if (found.has(name)) continue;
      const described = await sm
        .send(new DescribeSecretCommand({ SecretId: name }))
        .catch(e => {
          if (notFound(e)) return undefined;
          throw e;
        });
      if (described && !described.DeletedDate)
        found.set(name, described.Tags ?? []);
    }
    for (const [name, tags] of found) {
      if (!removal.mayDelete(`secret ${name}`, tags)) continue;
      await sm
        .send(
          new DeleteSecretCommand({
            SecretId: name,
            ForceDeleteWithoutRecovery: true,
          }),
        )
        .catch(e => {
          if (!notFound(e)) throw e;
        });
    }
    return removal.result();
  }

  // ---- cluster ----------------------------------------------------------------------------

  private async describeCluster(ctx: ResourceContext) {
    const eks = await this.client(EKSClient, ctx);
    return (await eks.send(new DescribeClusterCommand({ name: ctx.stackId })))
      .cluster!;
  }

  private async createCluster(ctx: ResourceContext): Promise<ResourceOutputs> {
    const spec = ctx.spec.resources.cluster!;
    const eks = await this.client(EKSClient, ctx);
    const { accountId, region } = ctx.spec.aws;
    const name = ctx.stackId;
    const tags = stackTags(ctx, 'cluster');
    const groupId = await this.securityGroup(ctx, 'cluster', 'cluster', 443);
    const subnetIds = ctx.outputs.network!.subnetIds as string[];
    try {
      await eks.send(
        new CreateClusterCommand({
          name,
          version: spec.kubernetesVersion,
          tags,
          roleArn:
            this.options.clusterRoleArn?.(accountId) ??
            `arn:aws:iam::${accountId}:role/konductor-eks-cluster`,
          resourcesVpcConfig: {
            subnetIds,
            securityGroupIds: [groupId],
            endpointPublicAccess: spec.publicEndpoint,
            endpointPrivateAccess: true,
          },
          logging: { clusterLogging: [{ types: spec.logging, enabled: true }] },
          encryptionConfig: spec.encryptSecrets
            ? [
                {
                  resources: ['secrets'],
                  provider: {
                    keyArn:
                      this.options.kmsKeyArn?.(accountId, region) ??
                      `arn:aws:kms:${region}:${accountId}:alias/konductor-eks`,
                  },
                },
              ]
            : undefined,
        }),
      );
    } catch (e) {
      if (errorName(e) !== 'ResourceInUseException') throw e;
      adopt(
        ctx,
        `EKS cluster ${name}`,
        tagRecord((await this.describeCluster(ctx)).tags),
      );
    }
    const cluster = await this.wait<Cluster>(
      ctx,
      `EKS cluster ${name}`,
      async () => {
        const c = await this.describeCluster(ctx);
        if (c.status === 'ACTIVE') return { done: c! };
        if (c.status === 'FAILED')
          throw new Error(
            `EKS cluster ${name} failed to create: ${
              c.health?.issues?.map(i => i.message).join('; ') ||
              'status FAILED'
            }`,
          );
        return { state: c.status ?? 'unknown' };
      },
    );

    const nodegroupName = `${name}-nodes`;
    try {
      await eks.send(
        new CreateNodegroupCommand({
          clusterName: name,
          nodegroupName,
          subnets: subnetIds,
          instanceTypes: [spec.nodeInstanceType],
          tags,
          nodeRole:
            this.options.nodeRoleArn?.(accountId) ??
            `arn:aws:iam::${accountId}:role/konductor-eks-node`,
          scalingConfig: {
            minSize: spec.minNodes,
            desiredSize: spec.desiredNodes,
            maxSize: spec.maxNodes,
          },
        }),
      );
    } catch (e) {
      if (errorName(e) !== 'ResourceInUseException') throw e;
      const existing = (
        await eks.send(
          new DescribeNodegroupCommand({ clusterName: name, nodegroupName }),
        )
      ).nodegroup;
      adopt(ctx, `node group ${nodegroupName}`, tagRecord(existing?.tags));
    }
    await this.wait(ctx, `node group ${nodegroupName}`, async () => {
      const n = (
        await eks.send(
          new DescribeNodegroupCommand({ clusterName: name, nodegroupName }),
        )
      ).nodegroup!;
      if (n.status === 'ACTIVE') return { done: true };
      if (n.status === 'CREATE_FAILED')
        throw new Error(
          `Node group ${nodegroupName} failed to create: ${
            n.health?.issues?.map(i => i.message).join('; ') || 'CREATE_FAILED'
          }`,
        );
      return { state: n.status ?? 'unknown' };
    });
    return {
      clusterName: name,
      endpoint: cluster.endpoint!,
      arn: cluster.arn!,
      nodegroupName,
    };
  }

  private async destroyCluster(ctx: ResourceContext): Promise<RemovalResult> {
    const eks = await this.client(EKSClient, ctx);
    const removal = this.removalOf(ctx);
    const name = ctx.stackId;
    const cluster = await this.describeCluster(ctx).catch(e => {
      if (notFound(e)) return undefined;
      throw e;
    });
    if (cluster && removal.mayDelete(`EKS cluster ${name}`, cluster.tags)) {
      if (cluster.status === 'CREATING') {
        await this.wait(
          ctx,
          `EKS cluster ${name} to finish creating before deletion`,
          async () => {
            const s = (await this.describeCluster(ctx)).status;
            return s === 'CREATING' ? { state: s } : { done: true };
          },
        );
      }
      const { nodegroups = [] } = await eks.send(
        new ListNodegroupsCommand({ clusterName: name }),
      );
      const deleting: string[] = [];
      for (const nodegroupName of nodegroups) {
        const group = await eks
          .send(
            new DescribeNodegroupCommand({ clusterName: name, nodegroupName }),
          )
          .then(
            r => r.nodegroup,
            e => {
              if (notFound(e)) return undefined;
              throw e;
            },
          );
        if (
          !group ||
          !removal.mayDelete(`node group ${nodegroupName}`, group.tags)
        )
          continue;
        deleting.push(nodegroupName);
        await eks
          .send(
            new DeleteNodegroupCommand({ clusterName: name, nodegroupName }),
          )
          .catch(e => {
            if (!notFound(e) && errorName(e) !== 'ResourceInUseException')
              throw e;
          });
      }
      await this.wait(ctx, `node groups of ${name} deletion`, async () => {
        const left = (
          (await eks.send(new ListNodegroupsCommand({ clusterName: name })))
            .nodegroups ?? []
        ).filter(n => deleting.includes(n));
        return left.length
          ? { state: `${left.length} deleting` }
          : { done: true };
      });
      // A cluster that still has node groups kept above cannot be deleted.
      if (removal.kept.size) return removal.result();
      await eks.send(new DeleteClusterCommand({ name })).catch(e => {
        if (!notFound(e)) throw e;
      });
      await this.wait(ctx, `EKS cluster ${name} deletion`, async () => {
        try {
          return {
            state: (await this.describeCluster(ctx)).status ?? 'DELETING',
          };
        } catch (e) {
          if (notFound(e)) return { done: true };
          throw e;
        }
      });
    }
    if (removal.kept.size) return removal.result();
    await this.deleteSecurityGroup(ctx, 'cluster', removal.mayDelete);
    return removal.result();
  }
}
