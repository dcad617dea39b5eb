import { randomUUID } from 'node:crypto';
import {
  SandboxContext,
  SandboxRequest,
  SandboxResponse,
  ServiceError,
  hexId,
} from '../types';
import { phaseOf, SandboxResource } from '../state';
import { createManagedSecret, deleteManagedSecret } from './secretsManager';
import { rdsFilter, rdsPage } from './rdsDescribe';
import {
  ModifiableInstance,
  checkMaintenanceWindow,
  modificationStatus,
  modifyInstance,
  renderPendingValues,
  settleModification,
} from './rdsModify';
import {
  AwsCaller,
  el,
  isoTime,
  listValues,
  queryParams,
  queryResult,
  required,
  tagList,
  tagsOf,
  text,
} from './protocol';

const NS = 'http://rds.amazonaws.com/doc/2014-10-31/';

/** PostgreSQL versions the sandbox offers, like RDS's `DescribeDBEngineVersions`. */
export const POSTGRES_VERSIONS = ['13.20', '14.17', '15.12', '16.8', '17.4'];

interface SubnetGroup {
  name: string;
  description: string;
  vpcId: string;
  subnetIds: string[];
  tags: Record<string, string>;
}
interface DbInstance extends ModifiableInstance {
  id: string;
  instanceClass: string;
  engine: string;
  engineVersion: string;
  allocatedStorage: number;
  masterUsername: string;
  subnetGroup: string;
  securityGroupIds: string[];
  backupRetention: number;
  multiAz: boolean;
  storageEncrypted: boolean;
  kmsKeyId?: string;
  publiclyAccessible: boolean;
  deletionProtection: boolean;
  maintenanceWindow: string;
  tags: Record<string, string>;
  /** The secret in which RDS keeps the master password, when RDS manages it. */
  masterUserSecret?: { arn: string; kmsKeyId?: string };
}

const dbiResourceId = (d: DbInstance) => `db-${d.id.toUpperCase()}`;

const bool = (v: string | undefined, d = false) =>
  v === undefined ? d : v === 'true';

function renderSubnetGroup(
  g: SubnetGroup,
  caller: AwsCaller,
  ctx: SandboxContext,
) {
  return (
    text('DBSubnetGroupName', g.name) +
    text('DBSubnetGroupDescription', g.description) +
    el('VpcId', g.vpcId) +
    el('SubnetGroupStatus', 'Complete') +
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
            ) +
            el('SubnetStatus', 'Active'),
        );
      }),
    ) +
    el(
      'DBSubnetGroupArn',
      `arn:aws:rds:${caller.region}:${caller.account}:subgrp:${g.name}`,
    )
  );
}

function renderInstance(
  r: SandboxResource<DbInstance>,
  caller: AwsCaller,
  ctx: SandboxContext,
) {
  const d = r.data;
  const phase = phaseOf(r);
  const status =
    (phase === 'active' && modificationStatus(d)) ||
    {
      creating: 'creating',
      active: 'available',
      failed: 'failed',
      deleting: 'deleting',
      gone: 'deleted',
    }[phase];
  const group = ctx.state.get<SubnetGroup>(
    'rds',
    'db-subnet-group',
    `${caller.account}/${caller.region}/${d.subnetGroup}`,
  );
  return (
    el('DBInstanceIdentifier', d.id) +
    el('DBInstanceClass', d.instanceClass) +
    el('Engine', d.engine) +
    el('EngineVersion', d.engineVersion) +
    el('DBInstanceStatus', status) +
    text('MasterUsername', d.masterUsername) +
    (phase === 'active' || phase === 'deleting'
      ? el(
          'Endpoint',
          el(
            'Address',
            `${d.id}.${hexId(12)}.${caller.region}.rds.amazonaws.com`.replace(
              /\.[0-9a-f]{12}\./,
              '.sandbox.',
            ),
          ) +
            el('Port', 5432) +
            el('HostedZoneId', 'ZSANDBOX'),
        )
      : '') +
    el('AllocatedStorage', d.allocatedStorage) +
    el(
      'InstanceCreateTime',
      phase === 'creating' ? undefined : isoTime(r.readyAt ?? r.createdAt),
    ) +
    el('PreferredBackupWindow', '03:00-04:00') +
    el('BackupRetentionPeriod', d.backupRetention) +
    el(
      'VpcSecurityGroups',
      d.securityGroupIds.map(id =>
        el(
          'VpcSecurityGroupMembership',
          el('VpcSecurityGroupId', id) + el('Status', 'active'),
        ),
      ),
    ) +
    (group
      ? el('DBSubnetGroup', renderSubnetGroup(group.data, caller, ctx))
      : '') +
    el('PreferredMaintenanceWindow', d.maintenanceWindow) +
    el('MultiAZ', d.multiAz) +
    el('PubliclyAccessible', d.publiclyAccessible) +
    el('StorageType', 'gp3') +
    el('StorageEncrypted', d.storageEncrypted) +
    el('KmsKeyId', d.kmsKeyId) +
    el('DbiResourceId', dbiResourceId(d)) +
    el(
      'DBInstanceArn',
      `arn:aws:rds:${caller.region}:${caller.account}:db:${d.id}`,
    ) +
    el('DeletionProtection', d.deletionProtection) +
    renderPendingValues(d) +
    (d.masterUserSecret
      ? el(
          'MasterUserSecret',
          el('SecretArn', d.masterUserSecret.arn) +
            el('SecretStatus', 'active') +
            el('KmsKeyId', d.masterUserSecret.kmsKeyId),
        )
      : '') +
    tagList(d.tags)
  );
}

/** RDS (query protocol): DB subnet groups and PostgreSQL instances, and their tags. */
export async function handleRds(
  req: SandboxRequest,
  ctx: SandboxContext,
  caller: AwsCaller,
  failLongOperation: boolean,
): Promise<SandboxResponse> {
  const params = queryParams(req);
  const action = params.get('Action') ?? '';
  const scoped = (name: string) => `${caller.account}/${caller.region}/${name}`;
  const scope = { account: caller.account, region: caller.region };
  /** The instance with any modification whose time has come applied. */
  const settled = (r: SandboxResource<DbInstance>) => {
    if (settleModification(r)) ctx.state.put(r);
    return r;
  };
  const findInstance = (idOrArn: string) => {
    // As RDS does, an instance's ARN identifies it too.
    const id = idOrArn.startsWith('arn:')
      ? idOrArn.split(':db:').pop()!
      : idOrArn;
    const r = ctx.state.get<DbInstance>('rds', 'db-instance', scoped(id));
    if (!r)
      throw new ServiceError(
        404,
        'DBInstanceNotFound',
        `DBInstance ${id} not found.`,
      );
    return settled(r);
  };
  const findGroup = (name: string) => {
    const r = ctx.state.get<SubnetGroup>(
      'rds',
      'db-subnet-group',
      scoped(name),
    );
    if (!r)
      throw new ServiceError(
        404,
        'DBSubnetGroupNotFoundFault',
        `DBSubnetGroup ${name} not found.`,
      );
    return r;
  };

  /**
   * RDS's management of the master password (ManageMasterUserPassword): a secret `rds!db-<id>`
   * holding the username and a password RDS generates, rotated by RDS every 7 days.
   */
  const manageMasterPassword = (d: DbInstance) => {
    const kmsKeyId = params.get('MasterUserSecretKmsKeyId');
    d.masterUserSecret = {
      arn: createManagedSecret(ctx, scope, {
        name: `rds!db-${randomUUID()}`,
        value: JSON.stringify({
          username: d.masterUsername,
          password: randomUUID().replace(/-/g, ''),
        }),
        description: `Secret associated with primary RDS DB instance: arn:aws:rds:${caller.region}:${caller.account}:db:${d.id}`,
        owningService: 'rds',
        tags: [
          {
            Key: 'aws:rds:primaryDBInstanceArn',
            Value: `arn:aws:rds:${caller.region}:${caller.account}:db:${d.id}`,
          },
        ],
        rotationDays: 7,
      }),
      kmsKeyId,
    };
  };

  switch (action) {
    case 'CreateDBSubnetGroup': {
      const name = required(params, 'DBSubnetGroupName');
      const description = required(params, 'DBSubnetGroupDescription');
      const subnetIds = listValues(params, 'SubnetIds');
      if (ctx.state.get('rds', 'db-subnet-group', scoped(name))) {
        throw new ServiceError(
          400,
          'DBSubnetGroupAlreadyExists',
          `The DB subnet group '${name}' already exists.`,
        );
      }
      const subnets = subnetIds.map(id => {
        const s = ctx.state.get<{ vpcId: string; availabilityZone: string }>(
          'ec2',
          'subnet',
          id,
        );
        if (!s)
          throw new ServiceError(
            400,
            'InvalidSubnet',
            `The subnet ID '${id}' does not exist`,
          );
        return s.data;
      });
      if (new Set(subnets.map(s => s.availabilityZone)).size < 2) {
        throw new ServiceError(
          400,
          'DBSubnetGroupDoesNotCoverEnoughAZs',
          `The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: ${[
            ...new Set(subnets.map(s => s.availabilityZone)),
          ].join(', ')}. Add subnets to cover at least 2 AZs.`,
        );
      }
      const g: SubnetGroup = {
        name,
        description,
        vpcId: subnets[0].vpcId,
        subnetIds,
        tags: tagsOf(params, 'Tags'),
      };
      ctx.state.put({
        service: 'rds',
        type: 'db-subnet-group',
        id: scoped(name),
        ...scope,
        createdAt: Date.now(),
        data: g,
      });
      return queryResult(
        action,
        el('DBSubnetGroup', renderSubnetGroup(g, caller, ctx)),
        NS,
      );
    }

    case 'DescribeDBSubnetGroups': {
      const name = params.get('DBSubnetGroupName');
      const page = rdsPage(
        params,
        name
          ? [findGroup(name)]
          : ctx.state
              .list<SubnetGroup>('rds', 'db-subnet-group')
              .filter(
                r => r.account === caller.account && r.region === caller.region,
              )
              .sort((a, b) => a.data.name.localeCompare(b.data.name)),
      );
      return queryResult(
        action,
        el(
          'DBSubnetGroups',
          page.items.map(g =>
            el('DBSubnetGroup', renderSubnetGroup(g.data, caller, ctx)),
          ),
        ) + el('Marker', page.marker),
        NS,
      );
    }

    case 'DeleteDBSubnetGroup': {
      const name = required(params, 'DBSubnetGroupName');
      findGroup(name);
      if (
        ctx.state
          .list<DbInstance>('rds', 'db-instance')
          .some(
            i =>
              i.account === caller.account &&
              i.region === caller.region &&
              i.data.subnetGroup === name,
          )
      ) {
        throw new ServiceError(
          400,
          'InvalidDBSubnetGroupStateFault',
          `Cannot delete the subnet group '${name}' because at least one database instance: is still using it.`,
        );
      }
      ctx.state.remove('rds', 'db-subnet-group', scoped(name));
      return queryResult(action, '', NS);
    }

    case 'CreateDBInstance': {
      const id = required(params, 'DBInstanceIdentifier');
      if (
        !/^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}$/.test(id) ||
        id.endsWith('-')
      ) {
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          'The parameter DBInstanceIdentifier is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.',
        );
      }
      const engine = required(params, 'Engine');
      if (engine !== 'postgres')
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `Invalid DB engine: ${engine}`,
        );
      const version =
        params.get('EngineVersion') ??
        POSTGRES_VERSIONS[POSTGRES_VERSIONS.length - 1];
      if (!POSTGRES_VERSIONS.includes(version)) {
        throw new ServiceError(
          400,
          'InvalidParameterCombination',
          `Cannot find version ${version} for ${engine}`,
        );
      }
      const storage = Number(params.get('AllocatedStorage') ?? '20');
      if (!Number.isInteger(storage) || storage < 20 || storage > 65536) {
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `Invalid storage size for engine name postgres and storage type gp3: ${params.get(
            'AllocatedStorage',
          )}`,
        );
      }
      const instanceClass = required(params, 'DBInstanceClass');
      if (!/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(instanceClass)) {
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `Invalid DB Instance class: ${instanceClass}`,
        );
      }
      const retention = Number(params.get('BackupRetentionPeriod') ?? '1');
      if (!(retention >= 0 && retention <= 35)) {
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          'The backup retention period must be between 0 and 35 days.',
        );
      }
      const managed = bool(params.get('ManageMasterUserPassword'));
      if (managed && params.get('MasterUserPassword'))
        throw new ServiceError(
          400,
          'InvalidParameterCombination',
          "You can't specify MasterUserPassword and ManageMasterUserPassword at the same time.",
        );
      if (!params.get('MasterUserPassword') && !managed) {
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          'The parameter MasterUserPassword must be provided and must not be blank.',
        );
      }
      const window = params.get('PreferredMaintenanceWindow');
      if (window) checkMaintenanceWindow(window);
      const subnetGroup = params.get('DBSubnetGroupName') ?? 'default';
      if (subnetGroup !== 'default') findGroup(subnetGroup);
      if (ctx.state.get('rds', 'db-instance', scoped(id))) {
        throw new ServiceError(
          400,
          'DBInstanceAlreadyExists',
          'DB instance already exists',
        );
      }
      const data: DbInstance = {
        id,
        instanceClass,
        engine,
        engineVersion: version,
        allocatedStorage: storage,
        masterUsername: required(params, 'MasterUsername'),
        subnetGroup,
        securityGroupIds: listValues(params, 'VpcSecurityGroupIds'),
        backupRetention: retention,
        multiAz: bool(params.get('MultiAZ')),
        storageEncrypted: bool(params.get('StorageEncrypted')),
        kmsKeyId: params.get('KmsKeyId'),
        publiclyAccessible: bool(params.get('PubliclyAccessible')),
        deletionProtection: bool(params.get('DeletionProtection')),
        maintenanceWindow: (
          params.get('PreferredMaintenanceWindow') ?? 'sun:05:00-sun:06:00'
        ).toLowerCase(),
        tags: tagsOf(params, 'Tags'),
      };
      if (managed) manageMasterPassword(data);
      const now = Date.now();
      const r = ctx.state.put<DbInstance>({
        service: 'rds',
        type: 'db-instance',
        id: scoped(id),
        ...scope,
        createdAt: now,
        readyAt: now + ctx.durations.rdsInstance,
        fails: failLongOperation || undefined,
        data,
      });
      return queryResult(
        action,
        el('DBInstance', renderInstance(r, caller, ctx)),
        NS,
      );
    }

    case 'DescribeDBInstances': {
      const id = params.get('DBInstanceIdentifier');
      const selected = rdsFilter(
        params,
        id
          ? [findInstance(id)]
          : ctx.state
              .list<DbInstance>('rds', 'db-instance')
              .filter(
                r => r.account === caller.account && r.region === caller.region,
              )
              .map(settled)
              .sort((a, b) => a.data.id.localeCompare(b.data.id)),
        r => ({
          'db-instance-id': [
            r.data.id,
            `arn:aws:rds:${caller.region}:${caller.account}:db:${r.data.id}`,
          ],
          'dbi-resource-id': [dbiResourceId(r.data)],
          engine: [r.data.engine],
        }),
        [
          'db-cluster-id',
          'db-instance-id',
          'dbi-resource-id',
          'domain',
          'engine',
        ],
      );
      const page = rdsPage(params, selected);
      return queryResult(
        action,
        el(
          'DBInstances',
          page.items.map(r => el('DBInstance', renderInstance(r, caller, ctx))),
        ) + el('Marker', page.marker),
        NS,
      );
    }

    case 'ModifyDBInstance': {
      const r = findInstance(required(params, 'DBInstanceIdentifier'));
      if (phaseOf(r) !== 'active' || r.data.modifying)
        throw new ServiceError(
          400,
          'InvalidDBInstanceState',
          `Database instance is not in available state.`,
        );
      const d = r.data;
      const manage = params.get('ManageMasterUserPassword');
      const immediately = bool(params.get('ApplyImmediately'));
      if (
        params.get('MasterUserPassword') &&
        (manage === 'true' || (d.masterUserSecret && manage !== 'false'))
      )
        throw new ServiceError(
          400,
          'InvalidParameterCombination',
          "You can't specify MasterUserPassword for an instance whose master user password RDS manages in Secrets Manager (ManageMasterUserPassword).",
        );
      if (bool(params.get('RotateMasterUserPassword'))) {
        if (!d.masterUserSecret || manage === 'false')
          throw new ServiceError(
            400,
            'InvalidParameterCombination',
            'RotateMasterUserPassword is valid only when RDS manages the master user password in Secrets Manager.',
          );
        if (!immediately)
          throw new ServiceError(
            400,
            'InvalidParameterCombination',
            'You must specify ApplyImmediately when rotating the master user password.',
          );
      }
      modifyInstance(r, params, {
        durationMs: ctx.durations.rdsModify,
        versions: POSTGRES_VERSIONS,
        fails: failLongOperation,
      });
      if (manage === 'true' && !d.masterUserSecret) manageMasterPassword(d);
      if (manage === 'false' && d.masterUserSecret) {
        deleteManagedSecret(ctx, d.masterUserSecret.arn);
        d.masterUserSecret = undefined;
      }
      ctx.state.put(r);
      return queryResult(
        action,
        el('DBInstance', renderInstance(r, caller, ctx)),
        NS,
      );
    }

    case 'DeleteDBInstance': {
      const r = findInstance(required(params, 'DBInstanceIdentifier'));
      if (r.data.deletionProtection) {
        throw new ServiceError(
          400,
          'InvalidParameterCombination',
          'Cannot delete protected DB Instance, please disable deletion protection and try again.',
        );
      }
      const phase = phaseOf(r);
      if (phase === 'deleting')
        throw new ServiceError(
          400,
          'InvalidDBInstanceState',
          `Instance ${r.data.id} is already being deleted.`,
        );
      if (
        !bool(params.get('SkipFinalSnapshot')) &&
        !params.get('FinalDBSnapshotIdentifier')
      ) {
        throw new ServiceError(
          400,
          'InvalidParameterCombination',
          'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
        );
      }
      r.goneAt = Date.now() + ctx.durations.rdsInstanceDelete;
      // RDS deletes the secret in which it kept the instance's master password.
      if (r.data.masterUserSecret)
        deleteManagedSecret(ctx, r.data.masterUserSecret.arn);
      ctx.state.put(r);
      return queryResult(
        action,
        el('DBInstance', renderInstance(r, caller, ctx)),
        NS,
      );
    }

    case 'ListTagsForResource': {
      // RDS names tagged resources by ARN: arn:aws:rds:<region>:<account>:<db|subgrp>:<name>.
      // As RDS: what is no ARN is an invalid name; an ARN of another region or account does not
      // match "an RDS resource in this region" (400); an unknown name here is not found.
      const arn = required(params, 'ResourceName');
      const m = /^arn:aws:rds:([a-z0-9-]+):(\d{12}):([a-z-]+):(.+)$/.exec(arn);
      if (!m || !['db', 'subgrp'].includes(m[3]))
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          `Invalid resource name: ${arn}`,
        );
      const [, region, account, type, name] = m;
      if (region !== caller.region || account !== caller.account)
        throw new ServiceError(
          400,
          'InvalidParameterValue',
          'The specified resource name does not match an RDS resource in this region.',
        );
      const tags =
        type === 'db'
          ? findInstance(name).data.tags
          : findGroup(name).data.tags;
      return queryResult(action, tagList(tags), NS);
    }

    default:
      throw new ServiceError(
        400,
        'InvalidAction',
        `Could not find operation ${action} for version 2014-10-31`,
      );
  }
}

export const rdsOperation = (req: SandboxRequest) =>
  queryParams(req).get('Action') ?? 'Unknown';
