import {
  Cluster,
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  EKSClient,
  Nodegroup,
  paginateListNodegroups,
  ResourceInUseException,
  UpdateClusterVersionCommand,
  UpdateNodegroupConfigCommand,
  UpdateNodegroupVersionCommand,
} from '@aws-sdk/client-eks';
import {
  kubernetesUpgradeRefusal,
  cluster as clusterKind,
  network,
  type OutputsOf,
  type SpecOf,
} from '@konductor/plugin-provisioning-common';
import type {
  Observation,
  RemovalResult,
  ResourceContext,
  ResourceHandler,
} from '../provider';
import type { AwsClients } from './AwsClients';
import { ignoring, notFound, NOT_FOUND } from './errors';
import { type Difference, refuseDifferences } from './differences';
import {
  adopt,
  isOwned,
  ownershipProblem,
  stackTags,
  tagRecord,
} from './ownership';
import { removalOf } from './removal';
import { deleteSecurityGroup, securityGroup } from './securityGroups';

type Ctx = ResourceContext<SpecOf<typeof clusterKind>>;

type Outputs = OutputsOf<typeof clusterKind>;

/** What EKS says is wrong with a cluster or node group (its health issues), or `otherwise`. */
const healthOf = (
  r: { health?: { issues?: { message?: string }[] } },
  otherwise: string,
) => r.health?.issues?.map(i => i.message).join('; ') || otherwise;

/** The stack's EKS cluster (named as the stack), its managed node group and its security group. */
export class ClusterHandler implements ResourceHandler<typeof clusterKind> {
  constructor(private readonly aws: AwsClients) {}

  /** The stack's EKS cluster as EKS describes it (throws ResourceNotFoundException when none). */
  async describe(ctx: ResourceContext) {
    const eks = await this.aws.client(EKSClient, ctx);
    return (await eks.send(new DescribeClusterCommand({ name: ctx.stackId })))
      .cluster!;
  }

  async exists(ctx: ResourceContext) {
    return (await this.describe(ctx)).status === 'ACTIVE';
  }

  /**
   * The cluster and its node group as EKS describes them, for a drift scan: DescribeCluster and
   * the stack's node groups (EKS has no call that answers both). A node group that is gone leaves
   * its fields unset, which is drift. The desired node count is not read: between the bounds it is
   * the autoscaler's to change.
   */
  async observe(ctx: Ctx): Promise<Observation> {
    const name = ctx.stackId;
    const cluster = await this.describe(ctx).catch(ignoring(NOT_FOUND));
    if (!cluster || cluster.status === 'DELETING')
      return { exists: false, detail: `EKS cluster ${name} is gone` };
    const problem = ownershipProblem(tagRecord(cluster.tags), ctx);
    if (problem)
      return {
        exists: false,
        detail: `EKS cluster ${name} exists but ${problem}`,
      };
    const groups = await this.stackNodegroups(ctx);
    // Two node groups: a replacement that stopped before the old one was deleted; both types
    // are read, which differs from the desired one.
    const nodes =
      groups.find(
        g => g.instanceTypes?.[0] === ctx.resource.nodeInstanceType,
      ) ?? groups[0];
    return {
      exists: true,
      attributes: {
        kubernetesVersion: cluster.version,
        publicEndpoint: cluster.resourcesVpcConfig?.endpointPublicAccess,
        nodeInstanceType: groups.length
          ? groups.map(g => g.instanceTypes?.join(', ')).join('; ')
          : undefined,
        minNodes: nodes?.scalingConfig?.minSize,
        maxNodes: nodes?.scalingConfig?.maxSize,
      },
    };
  }

  async create(ctx: Ctx): Promise<Outputs> {
    const spec = ctx.resource;
    const eks = await this.aws.client(EKSClient, ctx);
    const { accountId, region } = ctx.spec.target;
    const name = ctx.stackId;
    const tags = stackTags(ctx);
    const groupId = await securityGroup(this.aws, ctx, 'cluster', 443);
    const subnetIds = ctx.dependency(network).subnetIds;
    let clusterAdopted = false;
    try {
      await eks.send(
        new CreateClusterCommand({
          name,
          version: spec.kubernetesVersion,
          tags,
          roleArn:
            this.aws.options.clusterRoleArn?.(accountId) ??
            `arn:aws:iam::${accountId}:role/konductor-eks-cluster`,
          resourcesVpcConfig: {
            subnetIds,
            securityGroupIds: [groupId],
            endpointPublicAccess: spec.publicEndpoint,
            endpointPrivateAccess: true,
            publicAccessCidrs: spec.publicEndpoint
              ? this.aws.options.clusterPublicAccessCidrs
              : undefined,
          },
          // Access entries (the API's default is the aws-auth ConfigMap alone): how Argo CD's
          // role, and any other principal, is let into the cluster without its Kubernetes API.
          accessConfig: {
            authenticationMode: 'API_AND_CONFIG_MAP',
            bootstrapClusterCreatorAdminPermissions: true,
          },
          logging: { clusterLogging: [{ types: spec.logging, enabled: true }] },
          encryptionConfig: spec.encryptSecrets
            ? [
                {
                  resources: ['secrets'],
                  provider: {
                    keyArn:
                      this.aws.options.kmsKeyArn?.(accountId, region) ??
                      `arn:aws:kms:${region}:${accountId}:alias/konductor-eks`,
                  },
                },
              ]
            : undefined,
        }),
      );
    } catch (e) {
      ignoring(ResourceInUseException)(e);
      const existing = await this.describe(ctx);
      adopt(ctx, `EKS cluster ${name}`, tagRecord(existing.tags));
      const upgrade = kubernetesUpgradeRefusal(
        existing.version!,
        spec.kubernetesVersion,
      );
      refuseDifferences(ctx, `EKS cluster ${name}`, [
        [
          'publicEndpoint',
          spec.publicEndpoint,
          existing.resourcesVpcConfig?.endpointPublicAccess,
          'Konductor does not change endpoint access in place yet',
        ],
        ...(upgrade
          ? [
              [
                'kubernetesVersion',
                spec.kubernetesVersion,
                existing.version,
                upgrade,
              ] as Difference,
            ]
          : []),
      ]);
      clusterAdopted = true;
    }
    const cluster = await this.aws.wait<Cluster>(
      ctx,
      `EKS cluster ${name}`,
      async () => {
        const c = await this.describe(ctx);
        if (c.status === 'ACTIVE') return { done: c! };
        if (c.status === 'FAILED')
          throw new Error(
            `EKS cluster ${name} failed to create: ${healthOf(
              c,
              'status FAILED',
            )}`,
          );
        return { state: c.status ?? 'unknown' };
      },
    );

    if (clusterAdopted && cluster.version !== spec.kubernetesVersion) {
      // The control plane first; the node groups follow once it is there. EKS takes a control
      // plane up only with its node groups at its version: nodes an earlier run left behind
      // (it stopped between the two) go first.
      for (const group of await this.stackNodegroups(ctx))
        await this.upgradeNodes(ctx, group.nodegroupName!, cluster.version!);
      ctx.progress(
        `EKS cluster ${name}: upgrading Kubernetes ${cluster.version} to ${spec.kubernetesVersion}`,
      );
      const { update } = await eks.send(
        new UpdateClusterVersionCommand({
          name,
          version: spec.kubernetesVersion,
        }),
      );
      await this.followUpdate(ctx, `EKS cluster ${name}`, update!.id!);
    }

    const groups = await this.stackNodegroups(ctx);
    const current = groups.find(
      g => g.instanceTypes?.[0] === spec.nodeInstanceType,
    );
    const nodegroupName =
      current?.nodegroupName ?? (await this.createNodegroup(ctx, groups));
    await this.nodegroupActive(ctx, nodegroupName);
    // An adopted group is brought to the spec; a new one already is, and these change nothing.
    await this.scaleToSpec(ctx, nodegroupName);
    await this.upgradeNodes(ctx, nodegroupName, spec.kubernetesVersion);
    // A replacement: the nodes of the other type go once the new ones run (EKS drains them,
    // respecting pod disruption budgets). Only this stack's and owner's node groups are listed.
    for (const old of groups.filter(g => g.nodegroupName !== nodegroupName))
      await this.deleteNodegroup(
        ctx,
        old.nodegroupName!,
        `replaced by ${nodegroupName} (${spec.nodeInstanceType})`,
      );
    return {
      clusterName: name,
      endpoint: cluster.endpoint!,
      arn: cluster.arn!,
      nodegroupName,
    };
  }

  /**
   * The cluster's node groups that are provably this stack's and owner's and not being deleted
   * (ListNodegroups, every page, then DescribeNodegroup for each).
   */
  private async stackNodegroups(ctx: Ctx): Promise<Nodegroup[]> {
    const eks = await this.aws.client(EKSClient, ctx);
    const clusterName = ctx.stackId;
    const groups: Nodegroup[] = [];
    for (const nodegroupName of await this.nodegroupNames(ctx)) {
      const group = await eks
        .send(new DescribeNodegroupCommand({ clusterName, nodegroupName }))
        .then(r => r.nodegroup, ignoring(NOT_FOUND));
      if (
        group &&
        group.status !== 'DELETING' &&
        isOwned(tagRecord(group.tags), ctx)
      )
        groups.push(group);
    }
    return groups;
  }

  /** The names of every node group of the stack's cluster, whoever's (ListNodegroups, every page). */
  private async nodegroupNames(ctx: ResourceContext): Promise<string[]> {
    const eks = await this.aws.client(EKSClient, ctx);
    const names: string[] = [];
    for await (const page of paginateListNodegroups(
      { client: eks },
      { clusterName: ctx.stackId },
    ))
      names.push(...(page.nodegroups ?? []));
    return names;
  }

  /**
   * Creates the stack's node group of the spec's instance type: `<stack>-nodes` for the first,
   * `<stack>-nodes-<n>` for one that replaces `existing` (EKS chooses a node group's instance
   * types when it creates it), sized as the nodes it replaces within the spec's bounds.
   */
  private async createNodegroup(
    ctx: Ctx,
    existing: Nodegroup[],
  ): Promise<string> {
    const spec = ctx.resource;
    const eks = await this.aws.client(EKSClient, ctx);
    const { accountId } = ctx.spec.target;
    const clusterName = ctx.stackId;
    let nodegroupName = `${clusterName}-nodes`;
    let desiredSize = spec.desiredNodes;
    if (existing.length) {
      const taken = await this.nodegroupNames(ctx);
      let n = 2;
      while (taken.includes(`${clusterName}-nodes-${n}`)) n++;
      nodegroupName = `${clusterName}-nodes-${n}`;
      desiredSize = Math.min(
        Math.max(
          existing[0].scalingConfig?.desiredSize ?? spec.desiredNodes,
          spec.minNodes,
        ),
        spec.maxNodes,
      );
      ctx.progress(
        `node group ${existing
          .map(g => `${g.nodegroupName} (${g.instanceTypes?.join(', ')})`)
          .join(', ')}: replacing with ${nodegroupName} (${
          spec.nodeInstanceType
        })`,
      );
    }
    try {
      await eks.send(
        new CreateNodegroupCommand({
          clusterName,
          nodegroupName,
          subnets: ctx.dependency(network).subnetIds,
          instanceTypes: [spec.nodeInstanceType],
          tags: stackTags(ctx),
          nodeRole:
            this.aws.options.nodeRoleArn?.(accountId) ??
            `arn:aws:iam::${accountId}:role/konductor-eks-node`,
          scalingConfig: {
            minSize: spec.minNodes,
            desiredSize,
            maxSize: spec.maxNodes,
          },
        }),
      );
    } catch (e) {
      // Created since it was listed (a call of an earlier attempt that EKS was still taking):
      // adopted when it is this stack's and owner's, of the spec's type and not being deleted.
      ignoring(ResourceInUseException)(e);
      const other = (
        await eks.send(
          new DescribeNodegroupCommand({ clusterName, nodegroupName }),
        )
      ).nodegroup;
      adopt(ctx, `node group ${nodegroupName}`, tagRecord(other?.tags));
      if (other?.status === 'DELETING')
        throw new Error(
          `node group ${nodegroupName} is being deleted: run the stack again once EKS has deleted it`,
        );
      refuseDifferences(ctx, `node group ${nodegroupName}`, [
        [
          'nodeInstanceType',
          spec.nodeInstanceType,
          other?.instanceTypes?.join(', '),
          "a node group's instance types are chosen when it is created",
        ],
      ]);
    }
    return nodegroupName;
  }

  /** Deletes one of the stack's node groups and waits until EKS has (its nodes drained). */
  private async deleteNodegroup(ctx: Ctx, nodegroupName: string, why: string) {
    const eks = await this.aws.client(EKSClient, ctx);
    const clusterName = ctx.stackId;
    ctx.progress(`node group ${nodegroupName}: deleting, ${why}`);
    await eks
      .send(new DeleteNodegroupCommand({ clusterName, nodegroupName }))
      .catch(ignoring(NOT_FOUND));
    await this.aws.wait(
      ctx,
      `node group ${nodegroupName} deletion`,
      async () => {
        const group = await eks
          .send(new DescribeNodegroupCommand({ clusterName, nodegroupName }))
          .then(r => r.nodegroup, ignoring(NOT_FOUND));
        if (!group) return { done: true };
        if (group.status === 'DELETE_FAILED')
          throw new Error(
            `Node group ${nodegroupName} failed to delete: ${healthOf(
              group,
              'DELETE_FAILED',
            )}`,
          );
        return { state: group.status ?? 'DELETING' };
      },
    );
  }

  /** Waits until the node group is ACTIVE; a failed create fails with EKS's health issues. */
  private async nodegroupActive(ctx: Ctx, nodegroupName: string) {
    const eks = await this.aws.client(EKSClient, ctx);
    await this.aws.wait(ctx, `node group ${nodegroupName}`, async () => {
      const n = (
        await eks.send(
          new DescribeNodegroupCommand({
            clusterName: ctx.stackId,
            nodegroupName,
          }),
        )
      ).nodegroup!;
      if (n.status === 'ACTIVE') return { done: true };
      if (n.status === 'CREATE_FAILED')
        throw new Error(
          `Node group ${nodegroupName} failed to create: ${healthOf(
            n,
            'CREATE_FAILED',
          )}`,
        );
      return { state: n.status ?? 'unknown' };
    });
  }

  /**
   * Changes an adopted node group's bounds to the spec's (UpdateNodegroupConfig, which keeps the
   * nodes running) and follows the update EKS reports (DescribeUpdate) until it is Successful.
   * The desired size is the autoscaler's: it is only kept within the new bounds.
   */
  private async scaleToSpec(ctx: Ctx, nodegroupName: string) {
    const spec = ctx.resource;
    const eks = await this.aws.client(EKSClient, ctx);
    const clusterName = ctx.stackId;
    const current = (
      await eks.send(
        new DescribeNodegroupCommand({ clusterName, nodegroupName }),
      )
    ).nodegroup!.scalingConfig;
    if (
      current?.minSize === spec.minNodes &&
      current?.maxSize === spec.maxNodes
    )
      return;
    const desiredSize = Math.min(
      Math.max(current?.desiredSize ?? spec.desiredNodes, spec.minNodes),
      spec.maxNodes,
    );
    ctx.progress(
      `node group ${nodegroupName}: scaling to ${spec.minNodes}-${spec.maxNodes} nodes`,
    );
    const { update } = await eks.send(
      new UpdateNodegroupConfigCommand({
        clusterName,
        nodegroupName,
        scalingConfig: {
          minSize: spec.minNodes,
          maxSize: spec.maxNodes,
          desiredSize,
        },
      }),
    );
    await this.followUpdate(
      ctx,
      `node group ${nodegroupName}`,
      update!.id!,
      nodegroupName,
    );
  }

  /**
   * Moves the stack's node group's nodes to Kubernetes `version` when it exists at another one
   * (UpdateNodegroupVersion replaces the nodes, respecting pod disruption budgets).
   */
  private async upgradeNodes(ctx: Ctx, nodegroupName: string, version: string) {
    const eks = await this.aws.client(EKSClient, ctx);
    const clusterName = ctx.stackId;
    const nodegroup = await eks
      .send(new DescribeNodegroupCommand({ clusterName, nodegroupName }))
      .then(r => r.nodegroup, ignoring(NOT_FOUND));
    if (!nodegroup?.version || nodegroup.version === version) return;
    await this.nodegroupActive(ctx, nodegroupName);
    ctx.progress(
      `node group ${nodegroupName}: upgrading Kubernetes ${nodegroup.version} to ${version}`,
    );
    const { update } = await eks.send(
      new UpdateNodegroupVersionCommand({
        clusterName,
        nodegroupName,
        version,
      }),
    );
    await this.followUpdate(
      ctx,
      `node group ${nodegroupName}`,
      update!.id!,
      nodegroupName,
    );
  }

  /** Follows an EKS update (DescribeUpdate) until Successful; Failed or Cancelled fail with EKS's errors. */
  private async followUpdate(
    ctx: Ctx,
    what: string,
    updateId: string,
    nodegroupName?: string,
  ) {
    const eks = await this.aws.client(EKSClient, ctx);
    await this.aws.wait(ctx, `${what} update ${updateId}`, async () => {
      const u = (
        await eks.send(
          new DescribeUpdateCommand({
            name: ctx.stackId,
            nodegroupName,
            updateId,
          }),
        )
      ).update!;
      if (u.status === 'Successful') return { done: true };
      if (u.status === 'Failed' || u.status === 'Cancelled')
        throw new Error(
          `${what} update ${u.id} ${u.status.toLowerCase()}: ${
            u.errors
              ?.map(e => `${e.errorCode}: ${e.errorMessage}`)
              .join('; ') || 'EKS gave no reason'
          }`,
        );
      return { state: u.status ?? 'unknown' };
    });
  }

  async destroy(ctx: ResourceContext): Promise<RemovalResult> {
    const eks = await this.aws.client(EKSClient, ctx);
    const removal = removalOf(ctx);
    const name = ctx.stackId;
    const cluster = await this.describe(ctx).catch(ignoring(NOT_FOUND));
    if (cluster) {
      // The cluster goes with its node groups; a node group this removal may delete goes even
      // from a cluster it keeps (a rollback of a replacement deletes the new node group alone).
      const clusterGoes = removal.mayDelete(
        `EKS cluster ${name}`,
        cluster.tags,
      );
      if (clusterGoes && cluster.status === 'CREATING') {
        await this.aws.wait(
          ctx,
          `EKS cluster ${name} to finish creating before deletion`,
          async () => {
            const s = (await this.describe(ctx)).status;
            return s === 'CREATING' ? { state: s } : { done: true };
          },
        );
      }
      const deleting: string[] = [];
      for (const nodegroupName of await this.nodegroupNames(ctx)) {
        const group = await eks
          .send(
            new DescribeNodegroupCommand({ clusterName: name, nodegroupName }),
          )
          .then(r => r.nodegroup, ignoring(NOT_FOUND));
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
          .catch(ignoring(NOT_FOUND, ResourceInUseException));
      }
      await this.aws.wait(ctx, `node groups of ${name} deletion`, async () => {
        const left = (await this.nodegroupNames(ctx)).filter(n =>
          deleting.includes(n),
        );
        return left.length
          ? { state: `${left.length} deleting` }
          : { done: true };
      });
      // A cluster that still has node groups kept above cannot be deleted.
      if (clusterGoes && !removal.kept.size) {
        await eks
          .send(new DeleteClusterCommand({ name }))
          .catch(ignoring(NOT_FOUND));
        await this.aws.wait(ctx, `EKS cluster ${name} deletion`, async () => {
          try {
            return {
              state: (await this.describe(ctx)).status ?? 'DELETING',
            };
          } catch (e) {
            if (notFound(e)) return { done: true };
            throw e;
          }
        });
      }
    }
    if (removal.kept.size) return removal.result();
    await deleteSecurityGroup(this.aws, ctx, 'cluster', removal.mayDelete);
    return removal.result();
  }
}
