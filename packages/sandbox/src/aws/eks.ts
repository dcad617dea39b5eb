import { createHash } from 'node:crypto';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
  hexId,
  json,
  parseJson,
} from '../types';
import {
  Scaling,
  Updatable,
  checkScaling,
  checkVersionUpdate,
  eksUpdates,
} from './eksUpdates';
import { phaseOf, SandboxResource } from '../state';
import { AwsCaller } from './protocol';
import { parseCidr, Subnet, Vpc, vpcDns } from './ec2/model';
import { handleCapabilities } from './eksCapabilities';
import { handleAccessEntries } from './eksAccessEntries';
import { handleAddons } from './eksAddons';
import { handlePodIdentity } from './eksPodIdentity';

/** Kubernetes versions the sandbox's EKS offers. */
export const EKS_VERSIONS = [
  '1.29',
  '1.30',
  '1.31',
  '1.32',
  '1.33',
  '1.34',
  '1.35',
];

export interface Cluster extends Updatable {
  name: string;
  arn: string;
  version: string;
  roleArn: string;
  subnetIds: string[];
  securityGroupIds: string[];
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  /** Where the public endpoint takes requests from (AWS's default: anywhere). */
  publicAccessCidrs?: string[];
  /** How principals authenticate: CONFIG_MAP (the API's default), API or API_AND_CONFIG_MAP. */
  authenticationMode?: string;
  logging: { types: string[]; enabled: boolean }[];
  encryptionConfig?: unknown[];
  tags: Record<string, string>;
}
interface Nodegroup extends Updatable {
  cluster: string;
  /** Its Kubernetes version (the cluster's when it was created). */
  version: string;
  scaling: Scaling;
  name: string;
  arn: string;
  nodeRole: string;
  subnets: string[];
  instanceTypes: string[];
  tags: Record<string, string>;
  /** Why its instances cannot join the cluster, when they cannot (it then fails). */
  joinFailure?: string;
}

export const statusOf = (r: SandboxResource) =>
  ({
    creating: 'CREATING',
    active: 'ACTIVE',
    failed: 'FAILED',
    deleting: 'DELETING',
    gone: 'DELETING',
  }[phaseOf(r)]);

/**
 * The opaque part of a cluster's API server endpoint: 32 upper-case hex digits, as in EKS's
 * `https://<id>.gr7.<region>.eks.amazonaws.com`. The sandbox serves it as one path segment,
 * so clients that decode `%2F` (kubectl, client-go) reach the same cluster.
 */
export const endpointId = (clusterId: string) =>
  createHash('sha256')
    .update(clusterId)
    .digest('hex')
    .slice(0, 32)
    .toUpperCase();

function renderCluster(r: SandboxResource<Cluster>, ctx: SandboxContext) {
  const c = r.data;
  const status = statusOf(r);
  return {
    name: c.name,
    arn: c.arn,
    createdAt: r.createdAt / 1000,
    version: c.version,
    roleArn: c.roleArn,
    // Updating, a cluster keeps serving its API.
    status:
      status === 'ACTIVE' && eksUpdates.inProgress(c) ? 'UPDATING' : status,
    endpoint:
      status === 'ACTIVE'
        ? `${ctx.kubernetes.url}/k8s/${endpointId(r.id)}`
        : undefined,
    certificateAuthority:
      status === 'ACTIVE'
        ? { data: Buffer.from(ctx.kubernetes.caPem).toString('base64') }
        : undefined,
    platformVersion: 'eks.1',
    resourcesVpcConfig: {
      subnetIds: c.subnetIds,
      securityGroupIds: c.securityGroupIds,
      vpcId: undefined,
      endpointPublicAccess: c.endpointPublicAccess,
      endpointPrivateAccess: c.endpointPrivateAccess,
      publicAccessCidrs: c.endpointPublicAccess
        ? c.publicAccessCidrs ?? ['0.0.0.0/0']
        : [],
    },
    logging: { clusterLogging: c.logging },
    accessConfig: {
      bootstrapClusterCreatorAdminPermissions: true,
      authenticationMode: c.authenticationMode ?? 'CONFIG_MAP',
    },
    encryptionConfig: c.encryptionConfig,
    tags: c.tags,
    health:
      status === 'FAILED'
        ? {
            issues: [
              {
                code: 'ClusterUnreachable',
                message:
                  'The cluster failed to create (sandbox fault injection).',
              },
            ],
          }
        : undefined,
  };
}

/** A node group's status: CREATE_FAILED for a failed create, UPDATING while an update runs. */
function nodegroupStatus(r: SandboxResource<Nodegroup>) {
  const status = statusOf(r);
  if (status === 'FAILED') return 'CREATE_FAILED';
  return status === 'ACTIVE' && eksUpdates.inProgress(r.data)
    ? 'UPDATING'
    : status;
}

function renderNodegroup(r: SandboxResource<Nodegroup>) {
  const n = r.data;
  const status = nodegroupStatus(r);
  return {
    nodegroupName: n.name,
    nodegroupArn: n.arn,
    clusterName: n.cluster,
    version: n.version,
    status,
    createdAt: r.createdAt / 1000,
    modifiedAt: r.createdAt / 1000,
    capacityType: 'ON_DEMAND',
    scalingConfig: n.scaling,
    instanceTypes: n.instanceTypes,
    subnets: n.subnets,
    nodeRole: n.nodeRole,
    amiType: 'AL2023_x86_64_STANDARD',
    tags: n.tags,
    health:
      status === 'CREATE_FAILED'
        ? {
            issues: [
              {
                code: 'NodeCreationFailure',
                message: `Instances failed to join the kubernetes cluster${
                  n.joinFailure
                    ? `: ${n.joinFailure}`
                    : ' (sandbox fault injection)'
                }.`,
              },
            ],
          }
        : {},
  };
}

export const invalid = (message: string) =>
  new ServiceError(400, 'InvalidParameterException', message);

/**
 * A create repeated with a client token EKS remembers: the first request's resource (still
 * there, or gone since), or a refusal when the parameters differ. Tokens outlive the resources.
 */
export function repeatedCreate<T>(
  ctx: SandboxContext,
  caller: AwsCaller,
  token: string | undefined,
  request: string,
): SandboxResource<T> | undefined {
  const used =
    token &&
    ctx.state.recallToken(`eks/${caller.account}/${caller.region}`, token);
  if (!used) return undefined;
  if (used.request !== request)
    throw invalid(
      'The request token was already used with different parameters (idempotent parameter mismatch).',
    );
  const { service, type, id } = used.result;
  return (ctx.state.get<T>(service, type, id) ?? {
    ...used.result,
    goneAt: 0,
  }) as SandboxResource<T>;
}

/**
 * One page of an EKS list (`maxResults` 1-100, default 100; `nextToken` from the previous page):
 * the items and the token of the next page, if any.
 */
export function pageOf<T>(
  req: SandboxRequest,
  items: T[],
): { page: T[]; nextToken?: string } {
  const max = Number(req.query.get('maxResults') ?? '100');
  if (!(Number.isInteger(max) && max >= 1 && max <= 100))
    throw invalid('maxResults must be between 1 and 100.');
  const token = req.query.get('nextToken');
  const start = token === null ? 0 : Number(token);
  if (!(Number.isInteger(start) && start >= 0 && start <= items.length))
    throw invalid('The nextToken is not valid.');
  return {
    page: items.slice(start, start + max),
    nextToken: start + max < items.length ? String(start + max) : undefined,
  };
}

/**
 * A create of something of a cluster (`what`: "capabilities"): the first request's result when
 * its client token is repeated, else undefined once the cluster is ACTIVE (refused otherwise).
 * `remember` keeps the token's result once the thing is made.
 */
export function clusterCreate<T>(
  ctx: SandboxContext,
  caller: AwsCaller,
  cluster: SandboxResource<Cluster>,
  body: Record<string, unknown>,
  what: string,
): {
  again?: SandboxResource<T>;
  remember(result: SandboxResource): void;
} {
  const request = JSON.stringify({
    ...body,
    clientRequestToken: undefined,
    cluster: cluster.data.name,
  });
  const token = body.clientRequestToken as string | undefined;
  const again = repeatedCreate<T>(ctx, caller, token, request);
  if (!again && statusOf(cluster) !== 'ACTIVE')
    throw new ServiceError(
      400,
      'InvalidRequestException',
      `Cluster ${cluster.data.name} is in ${statusOf(
        cluster,
      )} state; ${what} can be created only on an ACTIVE cluster.`,
      { clusterName: cluster.data.name },
    );
  return {
    again,
    remember: result => rememberCreate(ctx, caller, token, request, result),
  };
}

export function rememberCreate(
  ctx: SandboxContext,
  caller: AwsCaller,
  token: string | undefined,
  request: string,
  result: SandboxResource,
) {
  if (token)
    ctx.state.rememberToken(`eks/${caller.account}/${caller.region}`, token, {
      request,
      result,
      at: result.createdAt,
    });
}

/** The operation a REST-JSON EKS request maps to. */
export function eksOperation(req: SandboxRequest): string {
  const parts = req.path.split('/').filter(Boolean);
  if (parts[0] !== 'clusters') return 'Unknown';
  if (parts[2] === 'access-entries')
    return (
      (
        {
          POST3: 'CreateAccessEntry',
          GET3: 'ListAccessEntries',
          GET4: 'DescribeAccessEntry',
          DELETE4: 'DeleteAccessEntry',
          POST5: 'AssociateAccessPolicy',
          GET5: 'ListAssociatedAccessPolicies',
        } as Record<string, string>
      )[`${req.method}${parts.length}`] ?? 'Unknown'
    );
  if (parts[2] === 'addons')
    return (
      (
        {
          POST3: 'CreateAddon',
          GET3: 'ListAddons',
          GET4: 'DescribeAddon',
          DELETE4: 'DeleteAddon',
        } as Record<string, string>
      )[`${req.method}${parts.length}`] ?? 'Unknown'
    );
  if (parts[2] === 'pod-identity-associations')
    return (
      (
        {
          POST3: 'CreatePodIdentityAssociation',
          GET3: 'ListPodIdentityAssociations',
          GET4: 'DescribePodIdentityAssociation',
          DELETE4: 'DeletePodIdentityAssociation',
        } as Record<string, string>
      )[`${req.method}${parts.length}`] ?? 'Unknown'
    );
  if (parts[2] === 'capabilities')
    return (
      (
        {
          POST3: 'CreateCapability',
          GET3: 'ListCapabilities',
          GET4: 'DescribeCapability',
          DELETE4: 'DeleteCapability',
        } as Record<string, string>
      )[`${req.method}${parts.length}`] ?? 'Unknown'
    );
  if (parts[2] === 'updates')
    return (
      (
        {
          POST3: 'UpdateClusterVersion',
          GET3: 'ListUpdates',
          GET4: 'DescribeUpdate',
        } as Record<string, string>
      )[`${req.method}${parts.length}`] ?? 'Unknown'
    );
  if (parts[2] === 'node-groups' && req.method === 'POST' && parts.length === 5)
    return (
      (
        {
          'update-config': 'UpdateNodegroupConfig',
          'update-version': 'UpdateNodegroupVersion',
        } as Record<string, string>
      )[parts[4]] ?? 'Unknown'
    );
  const ng = parts[2] === 'node-groups';
  const map: Record<string, string> = ng
    ? {
        POST3: 'CreateNodegroup',
        GET3: 'ListNodegroups',
        GET4: 'DescribeNodegroup',
        DELETE4: 'DeleteNodegroup',
      }
    : {
        POST1: 'CreateCluster',
        GET1: 'ListClusters',
        GET2: 'DescribeCluster',
        DELETE2: 'DeleteCluster',
      };
  return map[`${req.method}${parts.length}`] ?? 'Unknown';
}

/** EKS (REST-JSON): clusters and managed node groups, with asynchronous status. */
export async function handleEks(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  failLongOperation: boolean,
): Promise<SandboxResponse> {
  const op = eksOperation(req);
  const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  const scoped = (name: string) => `${caller.account}/${caller.region}/${name}`;
  const body = () =>
    parseJson(
      req,
      () =>
        new ServiceError(
          400,
          'SerializationException',
          'The request body is not valid JSON.',
        ),
    );
  const findCluster = (name: string) => {
    const r = ctx.state.get<Cluster>('eks', 'cluster', scoped(name));
    if (!r)
      throw new ServiceError(
        404,
        'ResourceNotFoundException',
        `No cluster found for name: ${name}.`,
        { clusterName: name },
      );
    if (eksUpdates.settle(r.data)) ctx.state.put(r);
    return r;
  };
  const nodegroupsOf = (cluster: string) =>
    ctx.state
      .list<Nodegroup>('eks', 'nodegroup')
      .filter(
        r =>
          r.account === caller.account &&
          r.region === caller.region &&
          r.data.cluster === cluster,
      );
  const findNodegroup = (cluster: string, name: string) => {
    findCluster(cluster);
    const r = ctx.state.get<Nodegroup>(
      'eks',
      'nodegroup',
      scoped(`${cluster}/${name}`),
    );
    if (!r)
      throw new ServiceError(
        404,
        'ResourceNotFoundException',
        `No node group found for name: ${name}.`,
        { clusterName: cluster, nodegroupName: name },
      );
    if (eksUpdates.settle(r.data)) ctx.state.put(r);
    return r;
  };

  if (/AccessEntr|AccessPolic/.test(op))
    return handleAccessEntries(op, parts, req, ctx, caller, {
      cluster: findCluster(parts[1]),
      body,
    });
  if (/Addon/.test(op))
    return handleAddons(op, parts, req, ctx, caller, {
      cluster: findCluster(parts[1]),
      body,
    });
  if (/PodIdentityAssociation/.test(op))
    return handlePodIdentity(op, parts, req, ctx, caller, {
      cluster: findCluster(parts[1]),
      body,
    });
  if (op.endsWith('Capability') || op === 'ListCapabilities')
    return handleCapabilities(op, parts, req, ctx, caller, {
      cluster: findCluster(parts[1]),
      body,
    });
  switch (op) {
    case 'CreateCluster': {
      const b = body();
      if (
        typeof b.name !== 'string' ||
        !/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(b.name)
      ) {
        throw invalid(
          'The cluster name must be 1-100 characters, start with a letter or digit, and contain only letters, digits, hyphens and underscores.',
        );
      }
      if (
        typeof b.roleArn !== 'string' ||
        !b.roleArn.startsWith('arn:aws:iam::')
      )
        throw invalid('roleArn must be an IAM role ARN.');
      const version = b.version ?? EKS_VERSIONS[EKS_VERSIONS.length - 1];
      if (!EKS_VERSIONS.includes(version))
        throw invalid(`unsupported Kubernetes version ${version}`);
      const subnetIds: string[] = b.resourcesVpcConfig?.subnetIds ?? [];
      const zones = new Set(
        subnetIds.map(id => {
          const s = ctx.state.get<{ availabilityZone: string }>(
            'ec2',
            'subnet',
            id,
          );
          if (!s) throw invalid(`Subnet ${id} does not exist.`);
          return s.data.availabilityZone;
        }),
      );
      if (zones.size < 2)
        throw invalid(
          'Subnets specified must be in at least two different AZs',
        );
      const request = JSON.stringify({ ...b, clientRequestToken: undefined });
      // clientRequestToken makes a retried create return the first one's result.
      const again = repeatedCreate<Cluster>(
        ctx,
        caller,
        b.clientRequestToken,
        request,
      );
      if (again) return json(200, { cluster: renderCluster(again, ctx) });
      const existing = ctx.state.get<Cluster>('eks', 'cluster', scoped(b.name));
      if (existing) {
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `Cluster already exists with name: ${b.name}`,
          { clusterName: b.name },
        );
      }
      if (
        ctx.state
          .list('eks', 'cluster')
          .filter(
            r => r.account === caller.account && r.region === caller.region,
          ).length >= 100
      ) {
        throw new ServiceError(
          400,
          'ResourceLimitExceededException',
          'Cluster limit exceeded for account.',
        );
      }
      const now = Date.now();
      const enabled = b.resourcesVpcConfig?.endpointPublicAccess;
      const publicAccess = enabled === undefined ? true : !!enabled;
      const privateAccess = !!b.resourcesVpcConfig?.endpointPrivateAccess;
      if (!publicAccess && !privateAccess)
        throw invalid(
          'The cluster endpoint must be reachable: enable private endpoint access to disable public endpoint access.',
        );
      const mode = b.accessConfig?.authenticationMode ?? 'CONFIG_MAP';
      if (!['CONFIG_MAP', 'API', 'API_AND_CONFIG_MAP'].includes(mode))
        throw invalid(
          `accessConfig.authenticationMode ${mode} is not valid: use CONFIG_MAP, API or API_AND_CONFIG_MAP.`,
        );
      const cidrs: string[] | undefined =
        b.resourcesVpcConfig?.publicAccessCidrs;
      for (const cidr of cidrs ?? [])
        if (!parseCidr(String(cidr)))
          throw invalid(
            `publicAccessCidrs: ${cidr} is not a valid CIDR block.`,
          );
      if (cidrs && cidrs.length > 40)
        throw invalid('publicAccessCidrs may hold at most 40 CIDR blocks.');
      const r = ctx.state.put<Cluster>({
        service: 'eks',
        type: 'cluster',
        id: scoped(b.name),
        account: caller.account,
        region: caller.region,
        createdAt: now,
        readyAt: now + ctx.durations.eksCluster,
        fails: failLongOperation || undefined,
        data: {
          name: b.name,
          arn: `arn:aws:eks:${caller.region}:${caller.account}:cluster/${b.name}`,
          version,
          roleArn: b.roleArn,
          subnetIds,
          securityGroupIds: b.resourcesVpcConfig?.securityGroupIds ?? [],
          endpointPublicAccess: publicAccess,
          endpointPrivateAccess: privateAccess,
          publicAccessCidrs: cidrs,
          authenticationMode: mode,
          logging: b.logging?.clusterLogging ?? [
            {
              types: [
                'api',
                'audit',
                'authenticator',
                'controllerManager',
                'scheduler',
              ],
              enabled: false,
            },
          ],
          encryptionConfig: b.encryptionConfig,
          tags: b.tags ?? {},
        },
      });
      rememberCreate(ctx, caller, b.clientRequestToken, request, r);
      return json(200, { cluster: renderCluster(r, ctx) });
    }

    case 'DescribeCluster':
      return json(200, { cluster: renderCluster(findCluster(parts[1]), ctx) });

    case 'ListClusters': {
      const max = Number(req.query.get('maxResults') ?? '100');
      if (!(max >= 1 && max <= 100))
        throw invalid('maxResults must be between 1 and 100.');
      const names = ctx.state
        .list<Cluster>('eks', 'cluster')
        .filter(r => r.account === caller.account && r.region === caller.region)
        .map(r => r.data.name)
        .sort();
      const start = Number(req.query.get('nextToken') ?? '0');
      const page = names.slice(start, start + max);
      return json(200, {
        clusters: page,
        nextToken: start + max < names.length ? String(start + max) : undefined,
      });
    }

    case 'DeleteCluster': {
      const r = findCluster(parts[1]);
      if (nodegroupsOf(r.data.name).length) {
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `Cluster has nodegroups attached`,
          { clusterName: r.data.name },
        );
      }
      if (statusOf(r) === 'CREATING') {
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `Cluster ${r.data.name} is currently being created`,
          { clusterName: r.data.name },
        );
      }
      if (r.goneAt === undefined) {
        r.goneAt = Date.now() + ctx.durations.eksClusterDelete;
        ctx.state.put(r);
        // Its Kubernetes objects (the system namespaces included), access entries, add-ons and
        // Pod Identity associations go with it.
        for (const o of [
          ...ctx.state.list('kubernetes'),
          ...['access-entry', 'addon', 'pod-identity'].flatMap(type =>
            ctx.state.list('eks', type),
          ),
        ])
          if (o.id.startsWith(`${r.id}/`)) {
            o.goneAt = r.goneAt;
            ctx.state.put(o);
          }
      }
      return json(200, { cluster: renderCluster(r, ctx) });
    }

    case 'CreateNodegroup': {
      const cluster = findCluster(parts[1]);
      const b = body();
      if (
        typeof b.nodegroupName !== 'string' ||
        !/^[0-9A-Za-z][A-Za-z0-9\-_]{0,62}$/.test(b.nodegroupName)
      ) {
        throw invalid(
          'nodegroupName must be 1-63 characters of letters, digits, hyphens and underscores.',
        );
      }
      if (statusOf(cluster) !== 'ACTIVE') {
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `Cluster '${cluster.data.name}' is not in ACTIVE status`,
          { clusterName: cluster.data.name },
        );
      }
      const s = b.scalingConfig ?? { minSize: 1, maxSize: 2, desiredSize: 2 };
      checkScaling(s);
      if (!Array.isArray(b.subnets) || !b.subnets.length)
        throw invalid('subnets must not be empty.');
      if (
        typeof b.nodeRole !== 'string' ||
        !b.nodeRole.startsWith('arn:aws:iam::')
      )
        throw invalid('nodeRole must be an IAM role ARN.');
      const id = scoped(`${cluster.data.name}/${b.nodegroupName}`);
      const request = JSON.stringify({ ...b, clientRequestToken: undefined });
      const again = repeatedCreate<Nodegroup>(
        ctx,
        caller,
        b.clientRequestToken,
        request,
      );
      if (again) return json(200, { nodegroup: renderNodegroup(again) });
      const existing = ctx.state.get<Nodegroup>('eks', 'nodegroup', id);
      if (existing) {
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `NodeGroup already exists with name ${b.nodegroupName} and cluster name ${cluster.data.name}`,
          { clusterName: cluster.data.name, nodegroupName: b.nodegroupName },
        );
      }
      // Nodes reach a cluster without a public endpoint through the VPC's DNS: without DNS
      // resolution and host names there (EKS's documented requirement) they never join.
      const subnet = ctx.state.get<Subnet>('ec2', 'subnet', b.subnets[0]);
      const vpc =
        subnet && ctx.state.get<Vpc>('ec2', 'vpc', subnet.data.vpcId)?.data;
      const dns = vpc && vpcDns(vpc);
      const joinFailure =
        !cluster.data.endpointPublicAccess &&
        dns &&
        !(dns.enableDnsSupport && dns.enableDnsHostnames)
          ? `the cluster's endpoint is private and VPC ${vpc.vpcId} has enableDnsHostnames ${dns.enableDnsHostnames} and enableDnsSupport ${dns.enableDnsSupport}, so the nodes cannot resolve it`
          : undefined;
      const now = Date.now();
      const r = ctx.state.put<Nodegroup>({
        service: 'eks',
        type: 'nodegroup',
        id,
        account: caller.account,
        region: caller.region,
        createdAt: now,
        readyAt: now + ctx.durations.eksNodegroup,
        fails: failLongOperation || !!joinFailure || undefined,
        data: {
          cluster: cluster.data.name,
          name: b.nodegroupName,
          joinFailure,
          arn: `arn:aws:eks:${caller.region}:${caller.account}:nodegroup/${
            cluster.data.name
          }/${b.nodegroupName}/${hexId(8)}`,
          nodeRole: b.nodeRole,
          subnets: b.subnets,
          instanceTypes: b.instanceTypes ?? ['t3.medium'],
          version: cluster.data.version,
          scaling: s,
          tags: b.tags ?? {},
        },
      });
      rememberCreate(ctx, caller, b.clientRequestToken, request, r);
      return json(200, { nodegroup: renderNodegroup(r) });
    }

    case 'DescribeNodegroup':
      return json(200, {
        nodegroup: renderNodegroup(findNodegroup(parts[1], parts[3])),
      });

    case 'ListNodegroups': {
      findCluster(parts[1]);
      const { page, nextToken } = pageOf(
        req,
        nodegroupsOf(parts[1])
          .map(r => r.data.name)
          .sort(),
      );
      return json(200, { nodegroups: page, nextToken });
    }

    case 'UpdateNodegroupConfig': {
      const r = findNodegroup(parts[1], parts[3]);
      const b = body();
      const unmodelled = [
        'labels',
        'taints',
        'updateConfig',
        'nodeRepairConfig',
      ];
      const asked = unmodelled.filter(k => b[k] !== undefined);
      if (asked.length)
        throw invalid(
          `The sandbox does not model ${asked.join(
            ', ',
          )} updates of a node group.`,
        );
      if (!b.scalingConfig) throw invalid('No changes needed');
      if (statusOf(r) !== 'ACTIVE')
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `Nodegroup ${r.data.name} is not in ACTIVE status`,
        );
      const scaling = { ...r.data.scaling, ...b.scalingConfig } as Scaling;
      checkScaling(scaling);
      const params = (
        [
          ['MinSize', 'minSize'],
          ['MaxSize', 'maxSize'],
          ['DesiredSize', 'desiredSize'],
        ] as const
      )
        .filter(([, key]) => b.scalingConfig[key] !== undefined)
        .map(([type, key]) => ({ type, value: String(scaling[key]) }));
      const update = eksUpdates.start(
        r.data,
        { type: 'ConfigUpdate', params, changes: { scaling } },
        ctx.durations.eksNodegroupUpdate,
        failLongOperation
          ? {
              errorCode: 'NodeCreationFailure',
              errorMessage: 'Instances failed to join the kubernetes cluster',
            }
          : undefined,
      );
      ctx.state.put(r);
      return json(200, { update: eksUpdates.render(update) });
    }

    case 'UpdateNodegroupVersion': {
      // The node group's nodes replaced by ones of the cluster's version (or an older one).
      const r = findNodegroup(parts[1], parts[3]);
      const cluster = findCluster(parts[1]).data;
      const version = body().version ?? cluster.version;
      if (!EKS_VERSIONS.includes(version))
        throw invalid(`unsupported Kubernetes version ${version}`);
      if (Number(version.split('.')[1]) > Number(cluster.version.split('.')[1]))
        throw invalid(
          `Requested Kubernetes version ${version} is newer than the cluster's ${cluster.version}.`,
        );
      if (version === r.data.version)
        throw invalid(
          `Nodegroup ${r.data.name} is already at Kubernetes version ${version}.`,
        );
      const update = eksUpdates.start(
        r.data,
        {
          type: 'VersionUpdate',
          params: [{ type: 'Version', value: version }],
          changes: { version },
        },
        ctx.durations.eksNodegroupUpdate,
        failLongOperation
          ? {
              errorCode: 'PodEvictionFailure',
              errorMessage:
                'Reached max retries while trying to evict pods from nodes in node group',
            }
          : undefined,
      );
      ctx.state.put(r);
      return json(200, { update: eksUpdates.render(update) });
    }

    case 'UpdateClusterVersion': {
      const r = findCluster(parts[1]);
      const version = body().version;
      if (typeof version !== 'string') throw invalid('version is required.');
      if (statusOf(r) !== 'ACTIVE')
        throw new ServiceError(
          409,
          'ResourceInUseException',
          `Cluster ${r.data.name} is not in ACTIVE status`,
        );
      checkVersionUpdate(
        r.data.version,
        version,
        EKS_VERSIONS,
        nodegroupsOf(r.data.name).map(n => ({
          name: n.data.name,
          version: n.data.version,
        })),
      );
      const update = eksUpdates.start(
        r.data,
        {
          type: 'VersionUpdate',
          params: [
            { type: 'Version', value: version },
            { type: 'PlatformVersion', value: 'eks.1' },
          ],
          changes: { version },
        },
        ctx.durations.eksClusterUpdate,
        failLongOperation
          ? {
              errorCode: 'Unknown',
              errorMessage: 'The cluster control plane update failed',
            }
          : undefined,
      );
      ctx.state.put(r);
      return json(200, { update: eksUpdates.render(update) });
    }

    case 'ListUpdates':
    case 'DescribeUpdate': {
      const cluster = findCluster(parts[1]);
      const nodegroup = req.query.get('nodegroupName');
      // A node group's updates, or (without nodegroupName) the cluster's own.
      const updates =
        (nodegroup
          ? findNodegroup(parts[1], nodegroup).data.updates
          : cluster.data.updates) ?? [];
      if (op === 'ListUpdates')
        return json(200, { updateIds: updates.map(u => u.id) });
      const update = updates.find(u => u.id === parts[3]);
      if (!update)
        throw new ServiceError(
          404,
          'ResourceNotFoundException',
          `No update found for ID: ${parts[3]}.`,
        );
      return json(200, { update: eksUpdates.render(update) });
    }

    case 'DeleteNodegroup': {
      const r = findNodegroup(parts[1], parts[3]);
      if (r.goneAt === undefined) {
        r.goneAt = Date.now() + ctx.durations.eksNodegroupDelete;
        ctx.state.put(r);
      }
      return json(200, { nodegroup: renderNodegroup(r) });
    }

    default:
      throw new ServiceError(
        404,
        'UnknownOperationException',
        `No EKS operation for ${req.method} ${req.path}`,
      );
  }
}
