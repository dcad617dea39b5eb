import {
  CacheSubnetGroupAlreadyExistsFault,
  CacheSubnetGroupInUse,
  CreateCacheSubnetGroupCommand,
  CreateReplicationGroupCommand,
  DeleteCacheSubnetGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeCacheSubnetGroupsCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  InvalidReplicationGroupStateFault,
  ListTagsForResourceCommand,
  ModifyReplicationGroupCommand,
  ReplicationGroup,
  ReplicationGroupAlreadyExistsFault,
} from '@aws-sdk/client-elasticache';
import {
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  network,
  type OutputsOf,
  type SpecOf,
} from '@konductor/plugin-provisioning-common';
import {
  adopt,
  AwsClients,
  cloudName,
  deleteSecurityGroup,
  ensureSecret,
  ignoring,
  nameSuffix,
  NOT_FOUND,
  notFound,
  Observation,
  ownershipProblem,
  password,
  refuseDifferences,
  removalOf,
  RemovalResult,
  ResourceContext,
  ResourceHandler,
  retryDependency,
  securityGroup,
  stackTags,
  tagList,
  tagRecord,
} from '@konductor/plugin-provisioning-node';
import type { cache } from './cache';

type Ctx = ResourceContext<SpecOf<typeof cache>>;
type Outputs = OutputsOf<typeof cache>;

const PORT = 6379;
/** The Secrets Manager name of a cache's AUTH token: under the stack's prefix, in its own path. */
const tokenSecret = (ctx: ResourceContext) =>
  `konductor/${ctx.stackId}/${ctx.name}/auth-token`;

/**
 * The group's settings as spec fields: what a drift scan and a re-run compare. A group described
 * before ElastiCache named its engine says nothing of it.
 */
function attributesOf(group: ReplicationGroup): {
  engine?: string;
  nodeType?: string;
  replicas: number;
  snapshotRetentionDays?: number;
} {
  return {
    ...(group.Engine ? { engine: group.Engine } : {}),
    nodeType: group.CacheNodeType,
    replicas: (group.MemberClusters?.length ?? 1) - 1,
    snapshotRetentionDays: group.SnapshotRetentionLimit,
  };
}

/**
 * A stack's ElastiCache replication group, with its cache subnet group, security group and AUTH
 * token secret. Each is adopted only when its tags name this stack and owner; the token is
 * generated once into Secrets Manager and read from there, never returned or logged.
 */
export class CacheHandler implements ResourceHandler<typeof cache> {
  constructor(private readonly aws: AwsClients) {}

  async create(ctx: Ctx): Promise<Outputs> {
    const spec = ctx.resource;
    const elasticache = await this.aws.client(ElastiCacheClient, ctx);
    const id = cloudName(ctx, 'cache');
    const tags = tagList(stackTags(ctx));
    const groupId = await securityGroup(
      this.aws,
      ctx,
      nameSuffix(ctx, 'cache'),
      PORT,
    );
    await elasticache
      .send(
        new CreateCacheSubnetGroupCommand({
          CacheSubnetGroupName: id,
          CacheSubnetGroupDescription: `Konductor cache of ${ctx.stackId}`,
          SubnetIds: ctx.dependency(network).subnetIds,
          Tags: tags,
        }),
      )
      .catch(async e => {
        ignoring(CacheSubnetGroupAlreadyExistsFault)(e);
        adopt(ctx, `cache subnet group ${id}`, await this.subnetGroupTags(ctx));
      });
    const token = await this.token(ctx);
    let adopted = false;
    try {
      await elasticache.send(
        new CreateReplicationGroupCommand({
          ReplicationGroupId: id,
          ReplicationGroupDescription: `Konductor cache ${ctx.name} of ${ctx.stackId}`,
          Engine: spec.engine,
          EngineVersion: spec.engineVersion,
          CacheNodeType: spec.nodeType,
          NumCacheClusters: 1 + spec.replicas,
          AutomaticFailoverEnabled: spec.replicas > 0,
          MultiAZEnabled: spec.replicas > 0,
          CacheSubnetGroupName: id,
          SecurityGroupIds: [groupId],
          TransitEncryptionEnabled: true,
          AtRestEncryptionEnabled: true,
          AuthToken: token.value,
          SnapshotRetentionLimit: spec.snapshotRetentionDays,
          Port: PORT,
          Tags: tags,
        }),
      );
    } catch (e) {
      ignoring(ReplicationGroupAlreadyExistsFault)(e);
      const existing = await this.describe(ctx, id);
      adopt(
        ctx,
        `ElastiCache replication group ${id}`,
        await this.tags(ctx, existing!.ARN!),
      );
      adopted = true;
    }
    let group = await this.available(ctx, id);
    // A re-run with another spec: the group is changed to it, and waited for again.
    if (adopted) group = await this.bringToSpec(ctx, group);
    const nodes = group.NodeGroups![0];
    return {
      replicationGroupId: id,
      arn: group.ARN!,
      primaryEndpoint: nodes.PrimaryEndpoint!.Address!,
      readerEndpoint: nodes.ReaderEndpoint!.Address!,
      port: nodes.PrimaryEndpoint!.Port!,
      authSecretArn: token.arn,
    };
  }

  /**
   * The cache as ElastiCache describes it, for a drift scan: DescribeReplicationGroups, and its
   * tags (whose it is). Gone, being deleted, or another stack's or owner's: missing, with why.
   */
  async observe(ctx: Ctx): Promise<Observation> {
    const id = cloudName(ctx, 'cache');
    const group = await this.describe(ctx, id);
    if (!group || ['deleting', 'create-failed'].includes(group.Status ?? ''))
      return {
        exists: false,
        detail: `ElastiCache replication group ${id} is gone`,
      };
    const problem = ownershipProblem(await this.tags(ctx, group.ARN!), ctx);
    if (problem)
      return {
        exists: false,
        detail: `ElastiCache replication group ${id} exists but ${problem}`,
      };
    return { exists: true, attributes: attributesOf(group) };
  }

  /** The group once it is `available`; one that failed to create fails the run. */
  private async available(ctx: Ctx, id: string) {
    return this.aws.wait<ReplicationGroup>(
      ctx,
      `ElastiCache replication group ${id}`,
      async () => {
        const g = await this.describe(ctx, id);
        if (g?.Status === 'available') return { done: g };
        if (g?.Status === 'create-failed')
          throw new Error(
            `ElastiCache replication group ${id} failed to create (status create-failed)`,
          );
        return { state: g?.Status ?? 'unknown' };
      },
    );
  }

  /**
   * Changes an adopted group to the spec where ElastiCache changes it in place
   * (ModifyReplicationGroup, applied immediately): the node type (scaled online, the group
   * `modifying` until it is done) and the snapshot retention. The engine and the replicas are
   * refused with each difference before anything is changed. A scaling ElastiCache ends without
   * making it fails the run, saying so.
   */
  private async bringToSpec(
    ctx: Ctx,
    group: ReplicationGroup,
  ): Promise<ReplicationGroup> {
    const spec = ctx.resource;
    const id = group.ReplicationGroupId!;
    const what = `ElastiCache replication group ${id}`;
    const live = attributesOf(group);
    refuseDifferences(ctx, what, [
      [
        'engine',
        spec.engine,
        live.engine ?? spec.engine,
        'Konductor does not move a cache between Redis OSS and Valkey in place',
      ],
      [
        'replicas',
        spec.replicas,
        live.replicas,
        'Konductor does not add or remove replicas in place yet',
      ],
    ]);
    const changes = {
      ...(live.nodeType !== spec.nodeType
        ? { CacheNodeType: spec.nodeType }
        : {}),
      ...(live.snapshotRetentionDays !== spec.snapshotRetentionDays
        ? { SnapshotRetentionLimit: spec.snapshotRetentionDays }
        : {}),
    };
    if (!Object.keys(changes).length) return group;
    ctx.progress(`${what}: modifying ${Object.keys(changes).join(', ')}`);
    const elasticache = await this.aws.client(ElastiCacheClient, ctx);
    await elasticache.send(
      new ModifyReplicationGroupCommand({
        ReplicationGroupId: id,
        ApplyImmediately: true,
        ...changes,
      }),
    );
    const done = await this.available(ctx, id);
    if (done.CacheNodeType !== spec.nodeType)
      throw new Error(
        `ElastiCache ended the scaling of ${what} without making it: resources.${ctx.name}.nodeType is ${done.CacheNodeType}, not ${spec.nodeType}. The cache runs as before; its events in ElastiCache say why. Run the stack again to retry`,
      );
    return done;
  }

  async exists(ctx: Ctx, outputs: Outputs) {
    const g = await this.describe(ctx, outputs.replicationGroupId);
    return !!g && !['deleting', 'create-failed'].includes(g.Status ?? '');
  }

  /** `authToken`, or `url` (`rediss://:<token>@<primary>:<port>`), for an app that receives it. */
  async secretValue(ctx: Ctx, key: string, outputs: Outputs) {
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    const token = (
      await sm.send(
        new GetSecretValueCommand({ SecretId: outputs.authSecretArn }),
      )
    ).SecretString!;
    if (key === 'authToken') return token;
    if (key === 'url')
      return `rediss://:${encodeURIComponent(token)}@${
        outputs.primaryEndpoint
      }:${outputs.port}`;
    throw new Error(`${ctx.name} holds no secret '${key}'`);
  }

  /** The AUTH token is its secret's whole value; the URL is composed. */
  secretSource(_ctx: Ctx, key: string, outputs: Outputs) {
    return key === 'authToken'
      ? { secretId: outputs.authSecretArn }
      : undefined;
  }

  async destroy(ctx: Ctx): Promise<RemovalResult> {
    const elasticache = await this.aws.client(ElastiCacheClient, ctx);
    const removal = removalOf(ctx);
    const id = cloudName(ctx, 'cache');
    const group = await this.describe(ctx, id);
    const what = `ElastiCache replication group ${id}`;
    if (group && removal.mayDelete(what, await this.tags(ctx, group.ARN!))) {
      // ElastiCache deletes only a group that is not still creating.
      await this.aws.wait(
        ctx,
        `${what} to finish creating before deletion`,
        async () => {
          const s = (await this.describe(ctx, id))?.Status;
          return s === 'creating' ? { state: s } : { done: true };
        },
      );
      const prod = ctx.spec.environment === 'prod';
      await elasticache
        .send(
          new DeleteReplicationGroupCommand({
            ReplicationGroupId: id,
            FinalSnapshotIdentifier: prod
              ? `${id}-final-${Date.now()}`
              : undefined,
          }),
        )
        .catch(ignoring(NOT_FOUND, InvalidReplicationGroupStateFault));
      await this.aws.wait(ctx, `${what} deletion`, async () => {
        const g = await this.describe(ctx, id);
        return g ? { state: g.Status ?? 'deleting' } : { done: true };
      });
    }
    // What the group used stays while the group does.
    if (removal.kept.size) return removal.result();
    const groupTags = await this.subnetGroupTags(ctx).catch(
      ignoring(NOT_FOUND),
    );
    if (groupTags && removal.mayDelete(`cache subnet group ${id}`, groupTags))
      await retryDependency(
        this.aws,
        ctx,
        `cache subnet group ${id}`,
        () =>
          elasticache.send(
            new DeleteCacheSubnetGroupCommand({ CacheSubnetGroupName: id }),
          ),
        [CacheSubnetGroupInUse],
      );
    await deleteSecurityGroup(
      this.aws,
      ctx,
      nameSuffix(ctx, 'cache'),
      removal.mayDelete,
    );
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    const secret = await sm
      .send(new DescribeSecretCommand({ SecretId: tokenSecret(ctx) }))
      .catch(ignoring(NOT_FOUND));
    if (
      secret &&
      !secret.DeletedDate &&
      removal.mayDelete(`secret ${secret.Name}`, secret.Tags)
    )
      await sm
        .send(
          new DeleteSecretCommand({
            SecretId: secret.ARN,
            ForceDeleteWithoutRecovery: true,
          }),
        )
        .catch(ignoring(NOT_FOUND));
    return removal.result();
  }

  /**
   * The cache's AUTH token: generated into Secrets Manager once, or the one there when it is this
   * stack's and owner's (a resumed run creates the group with the token it stored).
   */
  private token(ctx: Ctx) {
    // ElastiCache's rule: 16 to 128 printable characters without @, " or / (base64url is).
    return ensureSecret(this.aws, ctx, {
      name: tokenSecret(ctx),
      value: password(),
      description: `AUTH token of Konductor cache ${ctx.name} of ${ctx.stackId}`,
    });
  }

  private async describe(ctx: ResourceContext, id: string) {
    const elasticache = await this.aws.client(ElastiCacheClient, ctx);
    try {
      return (
        await elasticache.send(
          new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }),
        )
      ).ReplicationGroups?.[0];
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  /** The tags of an ElastiCache resource (listed by ARN only). */
  private async tags(ctx: ResourceContext, arn: string) {
    const elasticache = await this.aws.client(ElastiCacheClient, ctx);
    return tagRecord(
      (
        await elasticache.send(
          new ListTagsForResourceCommand({ ResourceName: arn }),
        )
      ).TagList,
    );
  }

  private async subnetGroupTags(ctx: ResourceContext) {
    const elasticache = await this.aws.client(ElastiCacheClient, ctx);
    const group = (
      await elasticache.send(
        new DescribeCacheSubnetGroupsCommand({
          CacheSubnetGroupName: cloudName(ctx, 'cache'),
        }),
      )
    ).CacheSubnetGroups?.[0];
    return this.tags(ctx, group!.ARN!);
  }
}
