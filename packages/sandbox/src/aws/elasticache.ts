import { createHash } from 'node:crypto';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
} from '../types';
import { phaseOf, SandboxResource } from '../state';
import {
  AwsCaller,
  el,
  listValues,
  queryParams,
  queryResult,
  required,
  tagList,
  tagsOf,
  text,
} from './protocol';

const NS = 'http://elasticache.amazonaws.com/doc/2015-02-02/';

/** Engine versions the sandbox offers (ElastiCache's `DescribeCacheEngineVersions`, abridged). */
export const CACHE_ENGINE_VERSIONS: Record<string, string[]> = {
  redis: ['6.2', '7.0', '7.1'],
  valkey: ['7.2', '8.0'],
};

/** Node types the sandbox offers (those of ElastiCache's current generation it is asked for). */
export const CACHE_NODE_TYPES = [
  'cache.t4g.micro',
  'cache.t4g.small',
  'cache.t4g.medium',
  'cache.m7g.large',
  'cache.m7g.xlarge',
  'cache.r7g.large',
  'cache.r7g.xlarge',
];

interface CacheSubnetGroup {
  name: string;
  description: string;
  vpcId: string;
  subnetIds: string[];
  tags: Record<string, string>;
}

interface ReplicationGroup {
  id: string;
  description: string;
  engine: string;
  engineVersion: string;
  nodeType: string;
  clusters: number;
  automaticFailover: boolean;
  multiAz: boolean;
  subnetGroup: string;
  securityGroupIds: string[];
  transitEncryption: boolean;
  atRestEncryption: boolean;
  /** Whether an AUTH token was set; the token itself is never kept or answered. */
  authToken: boolean;
  snapshotRetention: number;
  tags: Record<string, string>;
  /**
   * A node type change applied now: the group is `modifying` until `until`, then `available`
   * with the new type, or with the one it had when the scaling `fails`.
   */
  modifying?: { until: number; nodeType: string; fails?: boolean };
}

/** Ends a scaling whose time has come; true when something changed (the caller stores it). */
function settleScaling(r: SandboxResource<ReplicationGroup>, now = Date.now()) {
  const m = r.data.modifying;
  if (!m || now < m.until) return false;
  if (!m.fails) r.data.nodeType = m.nodeType;
  r.data.modifying = undefined;
  return true;
}

const bool = (v: string | undefined) => v === 'true';
const enabled = (v: boolean) => (v ? 'enabled' : 'disabled');

/** The region's short code in ElastiCache endpoints: us-east-1 -> use1. */
const regionCode = (region: string) =>
  region.replace(/^(\w\w)-(\w)\w*-(\d+)$/, '$1$2$3');

function renderSubnetGroup(
  g: CacheSubnetGroup,
  caller: AwsCaller,
  ctx: SandboxContext,
) {
  return (
    text('CacheSubnetGroupName', g.name) +
    text('CacheSubnetGroupDescription', g.description) +
    el('VpcId', g.vpcId) +
    el(
      'Subnets',
      g.subnetIds.map(id => {
        const s = ctx.state.get<{ availabilityZone: string }>(
          'ec2',
          'subnet',
          id,
        );
        return el(
          'Subnet',
          el('SubnetIdentifier', id) +
            el(
              'SubnetAvailabilityZone',
              el('Name', s?.data.availabilityZone ?? `${caller.region}a`),
            ),
        );
      }),
    ) +
    el(
      'ARN',
      `arn:aws:elasticache:${caller.region}:${caller.account}:subnetgroup:${g.name}`,
    )
  );
}

function renderGroup(r: SandboxResource<ReplicationGroup>, caller: AwsCaller) {
  const g = r.data;
  const phase = phaseOf(r);
  const status =
    phase === 'active' && g.modifying
      ? 'modifying'
      : {
          creating: 'creating',
          active: 'available',
          failed: 'create-failed',
          deleting: 'deleting',
          gone: 'deleted',
        }[phase];
  // Endpoints exist once the group is available (and while it is deleted).
  const hash = createHash('sha256').update(r.id).digest('hex').slice(0, 6);
  const host = (role: string) =>
    `${role}.${g.id}.${hash}.${regionCode(caller.region)}.cache.amazonaws.com`;
  const endpoint = (role: string) =>
    ['available', 'modifying', 'deleting'].includes(status)
      ? el('Address', host(role)) + el('Port', 6379)
      : undefined;
  const members = Array.from(
    { length: g.clusters },
    (_, i) => `${g.id}-${String(i + 1).padStart(3, '0')}`,
  );
  return (
    el('ReplicationGroupId', g.id) +
    text('Description', g.description) +
    el('Status', status) +
    el(
      'MemberClusters',
      members.map(m => el('ClusterId', m)),
    ) +
    el(
      'NodeGroups',
      el(
        'NodeGroup',
        el('NodeGroupId', '0001') +
          el('Status', status) +
          el('PrimaryEndpoint', endpoint('master')) +
          el('ReaderEndpoint', endpoint('replica')),
      ),
    ) +
    el('AutomaticFailover', enabled(g.automaticFailover)) +
    el('MultiAZ', enabled(g.multiAz)) +
    el('SnapshotRetentionLimit', g.snapshotRetention) +
    el('ClusterEnabled', false) +
    el('CacheNodeType', g.nodeType) +
    el('AuthTokenEnabled', g.authToken) +
    el('TransitEncryptionEnabled', g.transitEncryption) +
    el('AtRestEncryptionEnabled', g.atRestEncryption) +
    el(
      'ARN',
      `arn:aws:elasticache:${caller.region}:${caller.account}:replicationgroup:${g.id}`,
    ) +
    el('Engine', g.engine)
  );
}

/** Checks an identifier as ElastiCache does: a letter first, letters, digits and single hyphens. */
function identifier(value: string, what: string, max: number) {
  if (
    value.length > max ||
    !/^[a-zA-Z][a-zA-Z0-9-]*$/.test(value) ||
    value.includes('--') ||
    value.endsWith('-')
  )
    throw new ServiceError(
      400,
      'InvalidParameterValue',
      `${what} must begin with a letter, contain only ASCII letters, digits and hyphens, not end with a hyphen or contain two consecutive hyphens, and be at most ${max} characters long.`,
    );
  // ElastiCache stores identifiers in lowercase.
  return value.toLowerCase();
}

/** A page of `items` by ElastiCache's `MaxRecords` (20 to 100, default 100) and `Marker`. */
function page<T>(items: T[], params: Map<string, string>) {
  const max = Number(params.get('MaxRecords') ?? '100');
  if (!Number.isInteger(max) || max < 20 || max > 100)
    throw new ServiceError(
      400,
      'InvalidParameterValue',
      'The parameter MaxRecords must be between 20 and 100.',
    );
  const start = Number(params.get('Marker') ?? '0');
  const next = start + max < items.length ? String(start + max) : undefined;
  return { items: items.slice(start, start + max), marker: next };
}

/**
 * ElastiCache (query protocol): cache subnet groups and Redis OSS / Valkey replication groups
 * (cluster mode disabled), their asynchronous states and tags. The AUTH token is checked against
 * ElastiCache's rules and never kept.
 */
export async function handleElastiCache(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  failLongOperation: boolean,
): Promise<SandboxResponse> {
  const params = queryParams(req);
  const action = params.get('Action') ?? '';
  const scoped = (name: string) => `${caller.account}/${caller.region}/${name}`;
  const scope = { account: caller.account, region: caller.region };
  const inScope = (r: SandboxResource) =>
    r.account === caller.account && r.region === caller.region;
  /** The group with a scaling whose time has come ended. */
  const settled = (r: SandboxResource<ReplicationGroup>) => {
    if (settleScaling(r)) ctx.state.put(r);
    return r;
  };
  const findGroup = (id: string) => {
    const r = ctx.state.get<ReplicationGroup>(
      'elasticache',
      'replication-group',
      scoped(id.toLowerCase()),
    );
    if (!r)
      throw new ServiceError(
        404,
        'ReplicationGroupNotFoundFault',
        `ReplicationGroup ${id} not found.`,
      );
    return settled(r);
  };
  const findSubnetGroup = (name: string) => {
    const r = ctx.state.get<CacheSubnetGroup>(
      'elasticache',
      'cache-subnet-group',
      scoped(name.toLowerCase()),
    );
    if (!r)
      throw new ServiceError(
        400,
        'CacheSubnetGroupNotFoundFault',
        `CacheSubnetGroup ${name} not found.`,
      );
    return r;
  };

  switch (action) {
    case 'CreateCacheSubnetGroup': {
      const name = identifier(
        required(params, 'CacheSubnetGroupName'),
        'CacheSubnetGroupName',
        255,
      );
      const description = required(params, 'CacheSubnetGroupDescription');
      const subnetIds = listValues(params, 'SubnetIds');
      if (!subnetIds.length)
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          'At least one subnet ID must be specified.',
        );
      if (ctx.state.get('elasticache', 'cache-subnet-group', scoped(name)))
        throw new ServiceError(
          400,
          'CacheSubnetGroupAlreadyExists',
          `Cache subnet group ${name} already exists.`,
        );
      const subnets = subnetIds.map(id => {
        const s = ctx.state.get<{ vpcId: string }>('ec2', 'subnet', id);
        if (!s || !inScope(s))
          throw new ServiceError(
            400,
            'InvalidSubnet',
            `The subnet ID '${id}' does not exist`,
          );
        return s.data;
      });
      if (new Set(subnets.map(s => s.vpcId)).size > 1)
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          'All subnets in a cache subnet group must belong to the same VPC.',
        );
      const g: CacheSubnetGroup = {
        name,
        description,
        vpcId: subnets[0].vpcId,
        subnetIds,
        tags: tagsOf(params, 'Tags'),
      };
      ctx.state.put({
        service: 'elasticache',
        type: 'cache-subnet-group',
        id: scoped(name),
        ...scope,
        createdAt: Date.now(),
        data: g,
      });
      return queryResult(
        action,
        el('CacheSubnetGroup', renderSubnetGroup(g, caller, ctx)),
        NS,
      );
    }

    case 'DescribeCacheSubnetGroups': {
      const name = params.get('CacheSubnetGroupName');
      const all = name
        ? [findSubnetGroup(name)]
        : ctx.state
            .list<CacheSubnetGroup>('elasticache', 'cache-subnet-group')
            .filter(inScope);
      const { items, marker } = page(all, params);
      return queryResult(
        action,
        el('Marker', marker) +
          el(
            'CacheSubnetGroups',
            items.map(g =>
              el('CacheSubnetGroup', renderSubnetGroup(g.data, caller, ctx)),
            ),
          ),
        NS,
      );
    }

    case 'DeleteCacheSubnetGroup': {
      const name = required(params, 'CacheSubnetGroupName').toLowerCase();
      findSubnetGroup(name);
      if (
        ctx.state
          .list<ReplicationGroup>('elasticache', 'replication-group')
          .some(r => inScope(r) && r.data.subnetGroup === name)
      )
        throw new ServiceError(
          400,
          'CacheSubnetGroupInUse',
          `Cache subnet group ${name} is currently in use by a cache cluster.`,
        );
      ctx.state.remove('elasticache', 'cache-subnet-group', scoped(name));
      return queryResult(action, '', NS);
    }

    case 'CreateReplicationGroup': {
      const id = identifier(
        required(params, 'ReplicationGroupId'),
        'ReplicationGroupId',
        40,
      );
      const description = required(params, 'ReplicationGroupDescription');
      const engine = params.get('Engine') ?? 'redis';
      const versions = CACHE_ENGINE_VERSIONS[engine];
      if (!versions)
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `Invalid engine: ${engine}. Valid engines are redis and valkey.`,
        );
      const engineVersion = params.get('EngineVersion') ?? versions.at(-1)!;
      if (!versions.includes(engineVersion))
        throw new ServiceError(
          400,
          'InvalidParameterCombination',
          `Cannot find version ${engineVersion} for ${engine}`,
        );
      const nodeType = required(params, 'CacheNodeType');
      if (!CACHE_NODE_TYPES.includes(nodeType))
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `Invalid CacheNodeType: ${nodeType}`,
        );
      const clusters = Number(params.get('NumCacheClusters') ?? '1');
      if (!Number.isInteger(clusters) || clusters < 1 || clusters > 6)
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          'NumCacheClusters must be between 1 and 6.',
        );
      const automaticFailover = bool(params.get('AutomaticFailoverEnabled'));
      const multiAz = bool(params.get('MultiAZEnabled'));
      if (automaticFailover && clusters < 2)
        throw new ServiceError(
          400,
          'InvalidParameterCombination',
          'Automatic failover requires at least one replica: NumCacheClusters must be at least 2.',
        );
      if (multiAz && !automaticFailover)
        throw new ServiceError(
          400,
          'InvalidParameterCombination',
          'Multi-AZ requires automatic failover to be enabled.',
        );
      const transitEncryption = bool(params.get('TransitEncryptionEnabled'));
      const authToken = params.get('AuthToken');
      if (authToken !== undefined) {
        if (!transitEncryption)
          throw new ServiceError(
            400,
            'InvalidParameterCombination',
            'The AUTH token can only be set when TransitEncryptionEnabled is true.',
          );
        if (
          authToken.length < 16 ||
          authToken.length > 128 ||
          !/^[\x21-\x7e]+$/.test(authToken) ||
          /[@"/]/.test(authToken)
        )
          throw new ServiceError(
            400,
            'InvalidParameterValue',
            'The AUTH token must be 16 to 128 printable characters, without spaces, @, " or /.',
          );
      }
      const snapshotRetention = Number(
        params.get('SnapshotRetentionLimit') ?? '0',
      );
      if (
        !Number.isInteger(snapshotRetention) ||
        snapshotRetention < 0 ||
        snapshotRetention > 35
      )
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          'SnapshotRetentionLimit must be between 0 and 35.',
        );
      const subnetGroupName = required(params, 'CacheSubnetGroupName');
      const subnetGroup = findSubnetGroup(subnetGroupName).data;
      if (multiAz) {
        const zones = new Set(
          subnetGroup.subnetIds.map(
            s =>
              ctx.state.get<{ availabilityZone: string }>('ec2', 'subnet', s)
                ?.data.availabilityZone,
          ),
        );
        if (zones.size < 2)
          throw new ServiceError(
            400,
            'InvalidParameterCombination',
            'Multi-AZ requires a cache subnet group with subnets in at least two Availability Zones.',
          );
      }
      const securityGroupIds = listValues(params, 'SecurityGroupIds');
      for (const sg of securityGroupIds) {
        const found = ctx.state.get<{ vpcId: string }>(
          'ec2',
          'security-group',
          sg,
        );
        if (!found || found.data.vpcId !== subnetGroup.vpcId)
          throw new ServiceError(
            400,
            'InvalidParameterValue',
            `Some security group Id(s) are invalid: ${sg} is not a security group of ${subnetGroup.vpcId}.`,
          );
      }
      if (ctx.state.get('elasticache', 'replication-group', scoped(id)))
        throw new ServiceError(
          400,
          'ReplicationGroupAlreadyExists',
          `Replication group ${id} already exists.`,
        );
      const now = Date.now();
      const r = ctx.state.put<ReplicationGroup>({
        service: 'elasticache',
        type: 'replication-group',
        id: scoped(id),
        ...scope,
        createdAt: now,
        readyAt: now + ctx.durations.cacheReplicationGroup,
        fails: failLongOperation || undefined,
        data: {
          id,
          description,
          engine,
          engineVersion,
          nodeType,
          clusters,
          automaticFailover,
          multiAz,
          subnetGroup: subnetGroup.name,
          securityGroupIds,
          transitEncryption,
          atRestEncryption: bool(params.get('AtRestEncryptionEnabled')),
          authToken: authToken !== undefined,
          snapshotRetention,
          tags: tagsOf(params, 'Tags'),
        },
      });
      return queryResult(
        action,
        el('ReplicationGroup', renderGroup(r, caller)),
        NS,
      );
    }

    case 'DescribeReplicationGroups': {
      const id = params.get('ReplicationGroupId');
      const all = id
        ? [findGroup(id)]
        : ctx.state
            .list<ReplicationGroup>('elasticache', 'replication-group')
            .filter(inScope)
            .map(settled);
      const { items, marker } = page(all, params);
      return queryResult(
        action,
        el('Marker', marker) +
          el(
            'ReplicationGroups',
            items.map(r => el('ReplicationGroup', renderGroup(r, caller))),
          ),
        NS,
      );
    }

    case 'ModifyReplicationGroup': {
      const r = findGroup(required(params, 'ReplicationGroupId'));
      if (phaseOf(r) !== 'active' || r.data.modifying)
        throw new ServiceError(
          400,
          'InvalidReplicationGroupState',
          `Replication group ${r.data.id} is not in available state.`,
        );
      const modelled = [
        'Action',
        'Version',
        'ReplicationGroupId',
        'CacheNodeType',
        'SnapshotRetentionLimit',
        'ApplyImmediately',
      ];
      const other = [...params.keys()].filter(k => !modelled.includes(k));
      if (other.length)
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `The sandbox does not model ModifyReplicationGroup's ${other.join(
            ', ',
          )}.`,
        );
      const nodeType = params.get('CacheNodeType');
      if (nodeType !== undefined && !CACHE_NODE_TYPES.includes(nodeType))
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `Invalid Cache Node Type: ${nodeType}`,
        );
      const retention = params.get('SnapshotRetentionLimit');
      if (retention !== undefined) {
        const days = Number(retention);
        if (!Number.isInteger(days) || days < 0 || days > 35)
          throw new ServiceError(
            400,
            'InvalidParameterValue',
            'SnapshotRetentionLimit must be between 0 and 35.',
          );
        r.data.snapshotRetention = days;
      }
      // Scaling applied now: `modifying` while ElastiCache moves the data to nodes of the new
      // type; otherwise at the next maintenance window, which the sandbox never reaches.
      if (
        nodeType !== undefined &&
        nodeType !== r.data.nodeType &&
        bool(params.get('ApplyImmediately'))
      )
        r.data.modifying = {
          until: Date.now() + ctx.durations.cacheReplicationGroup,
          nodeType,
          fails: failLongOperation || undefined,
        };
      ctx.state.put(r);
      return queryResult(
        action,
        el('ReplicationGroup', renderGroup(r, caller)),
        NS,
      );
    }

    case 'DeleteReplicationGroup': {
      const r = findGroup(required(params, 'ReplicationGroupId'));
      const phase = phaseOf(r);
      // As ElastiCache: only an available (or failed) group can be deleted.
      if (phase === 'creating' || phase === 'deleting' || r.data.modifying)
        throw new ServiceError(
          400,
          'InvalidReplicationGroupState',
          `Replication group ${r.data.id} has status ${
            r.data.modifying && phase === 'active' ? 'modifying' : phase
          } which is not valid for deletion.`,
        );
      r.goneAt = Date.now() + ctx.durations.cacheReplicationGroupDelete;
      ctx.state.put(r);
      return queryResult(
        action,
        el('ReplicationGroup', renderGroup(r, caller)),
        NS,
      );
    }

    case 'ListTagsForResource': {
      const arn = required(params, 'ResourceName');
      const m =
        /^arn:aws:elasticache:([a-z0-9-]+):(\d{12}):(replicationgroup|subnetgroup):(.+)$/.exec(
          arn,
        );
      if (!m || m[1] !== caller.region || m[2] !== caller.account)
        throw new ServiceError(400, 'InvalidARN', `The ARN ${arn} is invalid.`);
      const tags =
        m[3] === 'replicationgroup'
          ? findGroup(m[4]).data.tags
          : findSubnetGroup(m[4]).data.tags;
      return queryResult(action, tagList(tags), NS);
    }

    default:
      throw new ServiceError(
        400,
        'InvalidAction',
        `Could not find operation ${action} for version 2015-02-02`,
      );
  }
}

export const elastiCacheOperation = (req: SandboxRequest) =>
  queryParams(req).get('Action') ?? 'Unknown';
