import {
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DBInstance,
  DBInstanceAlreadyExistsFault,
  DBSubnetGroupAlreadyExistsFault,
  DeleteDBInstanceCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  InvalidDBInstanceStateFault,
  ListTagsForResourceCommand,
  ModifyDBInstanceCommand,
  type ModifyDBInstanceCommandInput,
  type PendingModifiedValues,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  database,
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
import {
  adopt,
  cloudName,
  nameSuffix,
  ownershipProblem,
  stackTags,
  tagList,
  tagRecord,
} from './ownership';
import { type Difference, refuseDifferences } from './differences';
import { removalOf, retryDependency } from './removal';
import { deleteSecurityGroup, securityGroup } from './securityGroups';

type Ctx = ResourceContext<SpecOf<typeof database>>;
type Outputs = OutputsOf<typeof database>;

const dbId = (ctx: ResourceContext) => cloudName(ctx, 'db');

/** Orders PostgreSQL versions (`16.8` before `17.4`). */
const compareVersions = (a: string, b: string) => {
  const [pa, pb] = [a, b].map(v => v.split('.').map(Number));
  return pa[0] - pb[0] || (pa[1] ?? 0) - (pb[1] ?? 0);
};

/**
 * The stack's RDS PostgreSQL instance, its DB subnet group and its security group. RDS manages
 * the master password (ManageMasterUserPassword): it generates it, keeps it in a Secrets Manager
 * secret of its own and rotates it on the database's schedule without a Lambda, so Konductor
 * never sees a password it chose and a rotation needs nothing from Konductor.
 */
/** The instance's engine version as the spec names it: 16 names its minor ones, such as 16.4. */
function engineAsSpec(ctx: Ctx, db: DBInstance): string {
  const engine = db.EngineVersion ?? '';
  const wanted = ctx.resource.engineVersion;
  return engine === wanted || engine.startsWith(`${wanted}.`) ? wanted : engine;
}

/** The instance's settings as spec fields: what a drift scan and a modification compare. */
function attributesOf(ctx: Ctx, db: DBInstance) {
  return {
    instanceClass: db.DBInstanceClass,
    storageGb: db.AllocatedStorage,
    multiAz: db.MultiAZ,
    backupRetentionDays: db.BackupRetentionPeriod,
    deletionProtection: db.DeletionProtection,
    maintenanceWindow: db.PreferredMaintenanceWindow,
    encrypted: db.StorageEncrypted,
    engineVersion: engineAsSpec(ctx, db),
  };
}

/**
 * Fails when RDS ended a modification `available` without the spec's values (as it does when it
 * cannot make one, such as no capacity for a class): a run never reports what it did not make.
 * Storage never stays above the spec: a smaller one is refused before anything is modified.
 */
function notApplied(ctx: Ctx, db: DBInstance) {
  const spec = ctx.resource;
  const live = attributesOf(ctx, db);
  const missed = (
    [
      'instanceClass',
      'multiAz',
      'backupRetentionDays',
      'storageGb',
      'engineVersion',
    ] as const
  ).filter(field => live[field] !== spec[field]);
  if (missed.length)
    throw new Error(
      `RDS ended the modification of DB instance ${
        db.DBInstanceIdentifier
      } without making it: ${missed
        .map(
          field =>
            `resources.${ctx.name}.${field} is ${live[field]}, not ${spec[field]}`,
        )
        .join(
          '; ',
        )}. The instance runs as before; its events in RDS say why. Run the stack again to retry`,
    );
}

export class DatabaseHandler implements ResourceHandler<typeof database> {
  constructor(private readonly aws: AwsClients) {}

  async create(ctx: Ctx): Promise<Outputs> {
    const spec = ctx.resource;
    const rds = await this.aws.client(RDSClient, ctx);
    const id = dbId(ctx);
    const tags = tagList(stackTags(ctx));
    const groupId = await securityGroup(
      this.aws,
      ctx,
      nameSuffix(ctx, 'db'),
      5432,
    );
    await rds
      .send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: id,
          DBSubnetGroupDescription: `Konductor database of ${ctx.stackId}`,
          SubnetIds: ctx.dependency(network).subnetIds,
          Tags: tags,
        }),
      )
      .catch(async e => {
        ignoring(DBSubnetGroupAlreadyExistsFault)(e);
        adopt(ctx, `DB subnet group ${id}`, await this.subnetGroupTags(ctx));
      });
    let adopted = false;
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
          MasterUsername: 'konductor',
          ManageMasterUserPassword: true,
          DBSubnetGroupName: id,
          VpcSecurityGroupIds: [groupId],
          Tags: tags,
        }),
      );
    } catch (e) {
      ignoring(DBInstanceAlreadyExistsFault)(e);
      const existing = (
        await rds.send(
          new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
        )
      ).DBInstances?.[0];
      adopt(ctx, `DB instance ${id}`, tagRecord(existing?.TagList));
      adopted = true;
    }
    let db = await this.available(ctx, []);
    if (adopted) {
      // A re-run with another spec: the instance is changed to it, and waited for again.
      const modifying = await this.bringToSpec(ctx, db);
      if (modifying.length) {
        db = await this.available(ctx, modifying);
        notApplied(ctx, db);
      }
    }
    const secretArn = await this.managedPassword(ctx, db);
    return {
      instanceId: id,
      arn: db.DBInstanceArn!,
      endpoint: db.Endpoint!.Address!,
      port: db.Endpoint!.Port!,
      username: 'konductor',
      databaseName: 'app',
      masterUserSecretArn: secretArn,
    };
  }

  /**
   * The instance as RDS describes it, for a drift scan: one DescribeDBInstances. Gone, being
   * deleted, or not tagged with this stack and owner: missing, with why.
   */
  async observe(ctx: Ctx): Promise<Observation> {
    const rds = await this.aws.client(RDSClient, ctx);
    const id = dbId(ctx);
    const db = (
      await rds
        .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))
        .catch(ignoring(NOT_FOUND))
    )?.DBInstances?.[0];
    if (!db) return { exists: false, detail: `DB instance ${id} is gone` };
    if (db.DBInstanceStatus === 'deleting')
      return { exists: false, detail: `DB instance ${id} is being deleted` };
    const problem = ownershipProblem(tagRecord(db.TagList), ctx);
    if (problem)
      return {
        exists: false,
        detail: `DB instance ${id} exists but ${problem}`,
      };
    return { exists: true, attributes: attributesOf(ctx, db) };
  }

  /**
   * The instance once it is `available` with none of `modifying` pending any more (a
   * modification applied immediately shows its values as pending until RDS has made them).
   */
  private async available(
    ctx: Ctx,
    modifying: (keyof PendingModifiedValues)[],
  ): Promise<DBInstance> {
    const rds = await this.aws.client(RDSClient, ctx);
    const id = dbId(ctx);
    return this.aws.wait<DBInstance>(ctx, `DB instance ${id}`, async () => {
      const d = (
        await rds.send(
          new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
        )
      ).DBInstances?.[0];
      const pending = modifying.filter(
        k => d?.PendingModifiedValues?.[k] !== undefined,
      );
      if (d?.DBInstanceStatus === 'available' && !pending.length)
        return { done: d! };
      if (d?.DBInstanceStatus === 'failed')
        throw new Error(`DB instance ${id} failed (status failed)`);
      return { state: d?.DBInstanceStatus ?? 'unknown' };
    });
  }

  /**
   * Changes an adopted instance to the spec where RDS changes it in place (ModifyDBInstance,
   * applied immediately): instance class, storage (grow only), Multi-AZ, backup retention,
   * deletion protection, maintenance window and a minor engine version. What RDS cannot change
   * in place (encryption, a smaller storage, another major version or an older one) is refused
   * with each difference before anything is changed. Returns the settings RDS is applying, which
   * the caller waits for.
   */
  private async bringToSpec(
    ctx: Ctx,
    existing: DBInstance,
  ): Promise<(keyof PendingModifiedValues)[]> {
    const spec = ctx.resource;
    const id = dbId(ctx);
    const engine = existing.EngineVersion ?? '';
    const sameVersion = engineAsSpec(ctx, existing) === spec.engineVersion;
    const [major, wantedMajor] = [engine, spec.engineVersion].map(
      v => v.split('.')[0],
    );
    const storage = existing.AllocatedStorage ?? 0;
    refuseDifferences(ctx, `DB instance ${id}`, [
      [
        'encrypted',
        spec.encrypted,
        existing.StorageEncrypted,
        'encryption is chosen when an instance is created',
      ],
      ...(spec.storageGb < storage
        ? [
            [
              'storageGb',
              spec.storageGb,
              storage,
              'RDS can only grow storage',
            ] as Difference,
          ]
        : []),
      ...(!sameVersion &&
      (major !== wantedMajor || compareVersions(spec.engineVersion, engine) < 0)
        ? [
            [
              'engineVersion',
              spec.engineVersion,
              engine,
              major !== wantedMajor
                ? 'Konductor upgrades minor versions in place, not major ones'
                : 'RDS does not downgrade an engine',
            ] as Difference,
          ]
        : []),
    ]);
    const changes: ModifyDBInstanceCommandInput = {
      DBInstanceIdentifier: id,
      ApplyImmediately: true,
    };
    const pending: (keyof PendingModifiedValues)[] = [];
    const change = <K extends keyof ModifyDBInstanceCommandInput>(
      key: K,
      value: ModifyDBInstanceCommandInput[K],
      differs: boolean,
      waitsFor?: keyof PendingModifiedValues,
    ) => {
      if (!differs) return;
      changes[key] = value;
      if (waitsFor) pending.push(waitsFor);
    };
    change(
      'DBInstanceClass',
      spec.instanceClass,
      spec.instanceClass !== existing.DBInstanceClass,
      'DBInstanceClass',
    );
    change(
      'AllocatedStorage',
      spec.storageGb,
      spec.storageGb > storage,
      'AllocatedStorage',
    );
    change(
      'MultiAZ',
      spec.multiAz,
      spec.multiAz !== existing.MultiAZ,
      'MultiAZ',
    );
    change('EngineVersion', spec.engineVersion, !sameVersion, 'EngineVersion');
    change(
      'BackupRetentionPeriod',
      spec.backupRetentionDays,
      spec.backupRetentionDays !== existing.BackupRetentionPeriod,
      'BackupRetentionPeriod',
    );
    change(
      'DeletionProtection',
      spec.deletionProtection,
      spec.deletionProtection !== existing.DeletionProtection,
    );
    change(
      'PreferredMaintenanceWindow',
      spec.maintenanceWindow,
      spec.maintenanceWindow !==
        existing.PreferredMaintenanceWindow?.toLowerCase(),
    );
    const named = Object.keys(changes).filter(
      k => !['DBInstanceIdentifier', 'ApplyImmediately'].includes(k),
    );
    if (!named.length) return [];
    ctx.progress(`DB instance ${id}: modifying ${named.join(', ')}`);
    const rds = await this.aws.client(RDSClient, ctx);
    await rds.send(new ModifyDBInstanceCommand(changes));
    return pending;
  }

  /**
   * The ARN of the secret in which RDS keeps the instance's master password, rotated every
   * `passwordRotationDays`. An instance adopted from before RDS managed it (its password set by
   * hand) is handed to RDS.
   */
  private async managedPassword(ctx: Ctx, db: DBInstance): Promise<string> {
    let arn = db.MasterUserSecret?.SecretArn;
    if (!arn) {
      const rds = await this.aws.client(RDSClient, ctx);
      const modified = await rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: db.DBInstanceIdentifier,
          ManageMasterUserPassword: true,
          ApplyImmediately: true,
        }),
      );
      arn = modified.DBInstance?.MasterUserSecret?.SecretArn;
      if (!arn)
        throw new Error(
          `DB instance ${db.DBInstanceIdentifier}: RDS did not report the secret of its master password`,
        );
    }
    const days = ctx.resource.passwordRotationDays;
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    const secret = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    if (
      !secret.RotationEnabled ||
      secret.RotationRules?.AutomaticallyAfterDays !== days
    )
      // A schedule change only: a managed secret takes no Lambda, RDS rotates it.
      await sm.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotationRules: { AutomaticallyAfterDays: days },
          RotateImmediately: false,
        }),
      );
    return arn;
  }

  /**
   * A value an app receives (`<database>.password` and the like): the username and password as
   * RDS keeps them now (after any rotation), the rest from the instance's outputs.
   */
  async secretValue(ctx: Ctx, key: string, outputs: Outputs): Promise<string> {
    const sm = await this.aws.client(SecretsManagerClient, ctx);
    const { username, password } = JSON.parse(
      (
        await sm.send(
          new GetSecretValueCommand({ SecretId: outputs.masterUserSecretArn }),
        )
      ).SecretString!,
    );
    const values: Record<string, string> = {
      username,
      password,
      host: outputs.endpoint,
      port: String(outputs.port),
      url: `postgresql://${encodeURIComponent(username)}:${encodeURIComponent(
        password,
      )}@${outputs.endpoint}:${outputs.port}/${outputs.databaseName}`,
    };
    if (!(key in values))
      throw new Error(`A database holds no secret '${key}'`);
    return values[key];
  }

  /** The user name and password are fields of the master user secret RDS keeps; the rest are composed. */
  secretSource(_ctx: Ctx, key: string, outputs: Outputs) {
    return key === 'username' || key === 'password'
      ? { secretId: outputs.masterUserSecretArn, jsonKey: key }
      : undefined;
  }

  async exists(ctx: ResourceContext, outputs: Outputs) {
    const rds = await this.aws.client(RDSClient, ctx);
    const db = (
      await rds.send(
        new DescribeDBInstancesCommand({
          DBInstanceIdentifier: String(outputs.instanceId),
        }),
      )
    ).DBInstances?.[0];
    return db?.DBInstanceStatus === 'available';
  }

  async destroy(ctx: ResourceContext): Promise<RemovalResult> {
    const rds = await this.aws.client(RDSClient, ctx);
    const removal = removalOf(ctx);
    const id = dbId(ctx);
    const db = await rds
      .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))
      .then(r => r.DBInstances?.[0], ignoring(NOT_FOUND));
    if (db && removal.mayDelete(`DB instance ${id}`, db.TagList)) {
      if (db.DeletionProtection) {
        // Never switched off to make a removal work: turning it off is a deliberate change.
        removal.kept.add(
          `DB instance ${id}: deletion protection is on (turn it off with a change of the stack first)`,
        );
        return removal.result();
      }
      if (db.DBInstanceStatus === 'creating') {
        await this.aws.wait(
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
        .catch(ignoring(NOT_FOUND, InvalidDBInstanceStateFault));
      await this.aws.wait(ctx, `DB instance ${id} deletion`, async () => {
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
    const groupTags = await this.subnetGroupTags(ctx).catch(
      ignoring(NOT_FOUND),
    );
    if (groupTags && removal.mayDelete(`DB subnet group ${id}`, groupTags))
      await retryDependency(this.aws, ctx, `DB subnet group ${id}`, () =>
        rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: id })),
      );
    await deleteSecurityGroup(
      this.aws,
      ctx,
      nameSuffix(ctx, 'db'),
      removal.mayDelete,
    );
    return removal.result();
  }

  /** The tags of the stack's DB subnet group (RDS lists them by ARN only). */
  private async subnetGroupTags(ctx: ResourceContext) {
    const rds = await this.aws.client(RDSClient, ctx);
    const group = (
      await rds.send(
        new DescribeDBSubnetGroupsCommand({
          DBSubnetGroupName: dbId(ctx),
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
}
