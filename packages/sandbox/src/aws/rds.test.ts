import {
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DeleteDBInstanceCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  ListTagsForResourceCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { aws, eventually, inspect, useSandbox } from '../__testUtils__/sandbox';

describe('RDS', () => {
  const sandbox = useSandbox();
  const rds = () => new RDSClient(aws(sandbox()));
  let subnetIds: string[];

  beforeAll(async () => {
    const ec2 = new EC2Client(aws(sandbox()));
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.10.0.0/16' }),
    );
    subnetIds = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
      const { Subnet } = await ec2.send(
        new CreateSubnetCommand({
          VpcId: Vpc!.VpcId,
          CidrBlock: `10.10.${i}.0/24`,
          AvailabilityZone: az,
        }),
      );
      subnetIds.push(Subnet!.SubnetId!);
    }
  });

  const instance = (id: string, extra: object = {}) =>
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      DBInstanceClass: 'db.t4g.micro',
      Engine: 'postgres',
      EngineVersion: '16.8',
      AllocatedStorage: 20,
      MasterUsername: 'app',
      MasterUserPassword: 'not-a-real-password',
      DBSubnetGroupName: 'shop-db',
      StorageEncrypted: true,
      BackupRetentionPeriod: 7,
      Tags: [{ Key: 'konductor:stack', Value: 'shop' }],
      ...extra,
    });

  it('creates a subnet group spanning two zones, once', async () => {
    const { DBSubnetGroup } = await rds().send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: 'shop-db',
        DBSubnetGroupDescription: 'shop',
        SubnetIds: subnetIds,
      }),
    );
    expect(
      DBSubnetGroup?.Subnets?.map(s => s.SubnetAvailabilityZone?.Name),
    ).toEqual(['us-east-1a', 'us-east-1b']);
    await expect(
      rds().send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: 'shop-db',
          DBSubnetGroupDescription: 'again',
          SubnetIds: subnetIds,
        }),
      ),
    ).rejects.toMatchObject({ name: 'DBSubnetGroupAlreadyExistsFault' });
    await expect(
      rds().send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: 'one-az',
          DBSubnetGroupDescription: 'x',
          SubnetIds: subnetIds.slice(0, 1),
        }),
      ),
    ).rejects.toMatchObject({ name: 'DBSubnetGroupDoesNotCoverEnoughAZs' });
  });

  it('creates an instance that goes creating -> available and then has an endpoint', async () => {
    const { DBInstance } = await rds().send(instance('shop-db'));
    expect(DBInstance).toMatchObject({
      DBInstanceStatus: 'creating',
      StorageEncrypted: true,
      BackupRetentionPeriod: 7,
      EngineVersion: '16.8',
    });
    expect(DBInstance?.Endpoint).toBeUndefined();
    const ready = await eventually(async () => {
      const res = await rds().send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'shop-db' }),
      );
      return res.DBInstances?.[0]?.DBInstanceStatus === 'available'
        ? res.DBInstances[0]
        : undefined;
    });
    expect(ready.Endpoint).toMatchObject({
      Port: 5432,
      Address: expect.stringContaining('shop-db'),
    });
    expect(ready.TagList).toEqual([{ Key: 'konductor:stack', Value: 'shop' }]);
    await expect(rds().send(instance('shop-db'))).rejects.toMatchObject({
      name: 'DBInstanceAlreadyExistsFault',
    });
  });

  it('lists the tags of a subnet group and an instance by ARN, and refuses unknown ones and other accounts', async () => {
    const group = (
      await rds().send(
        new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: 'shop-db' }),
      )
    ).DBSubnetGroups![0];
    expect(
      (
        await rds().send(
          new ListTagsForResourceCommand({
            ResourceName: group.DBSubnetGroupArn,
          }),
        )
      ).TagList,
    ).toEqual([]);
    const db = (
      await rds().send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'shop-db' }),
      )
    ).DBInstances![0];
    expect(
      (
        await rds().send(
          new ListTagsForResourceCommand({ ResourceName: db.DBInstanceArn }),
        )
      ).TagList,
    ).toEqual([{ Key: 'konductor:stack', Value: 'shop' }]);
    await expect(
      rds().send(
        new ListTagsForResourceCommand({
          ResourceName: db.DBInstanceArn!.replace(
            '123456789012',
            '210987654321',
          ),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message:
        'The specified resource name does not match an RDS resource in this region.',
    });
    await expect(
      rds().send(
        new ListTagsForResourceCommand({
          ResourceName: group.DBSubnetGroupArn!.replace('shop-db', 'nope'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'DBSubnetGroupNotFoundFault' });
    await expect(
      rds().send(new ListTagsForResourceCommand({ ResourceName: 'shop-db' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('answers bad input with the RDS error codes', async () => {
    await expect(
      rds().send(instance('bad-version', { EngineVersion: '9.6' })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: 'Cannot find version 9.6 for postgres',
    });
    await expect(
      rds().send(instance('1-starts-with-digit')),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      rds().send(instance('tiny', { AllocatedStorage: 5 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      rds().send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' }),
      ),
    ).rejects.toMatchObject({
      name: 'DBInstanceNotFoundFault',
      $metadata: { httpStatusCode: 404 },
    });
  });

  const available = (id: string) =>
    eventually(async () => {
      const d = (
        await rds().send(
          new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
        )
      ).DBInstances![0];
      return d.DBInstanceStatus === 'available' ? d : undefined;
    });

  it('refuses to delete a protected instance, then deletes it asynchronously', async () => {
    await rds().send(instance('prod-db', { DeletionProtection: true }));
    // Not modifiable until it is available.
    await expect(
      rds().send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'prod-db',
          DeletionProtection: false,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    await available('prod-db');
    await expect(
      rds().send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: 'prod-db',
          SkipFinalSnapshot: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await rds().send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'prod-db',
        DeletionProtection: false,
      }),
    );
    await expect(
      rds().send(
        new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: 'shop-db' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidDBSubnetGroupStateFault' });
    for (const id of ['prod-db', 'shop-db']) {
      const { DBInstance } = await rds().send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: id,
          SkipFinalSnapshot: true,
        }),
      );
      expect(DBInstance?.DBInstanceStatus).toBe('deleting');
    }
    await eventually(async () =>
      (
        await rds().send(new DescribeDBInstancesCommand({}))
      ).DBInstances?.length === 0
        ? true
        : undefined,
    );
    await rds().send(
      new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: 'shop-db' }),
    );
    expect(
      (await inspect(sandbox())).counts['rds/db-instance'],
    ).toBeUndefined();
  });

  describe('with the master password managed by RDS', () => {
    const inGroup = { DBSubnetGroupName: 'keys-db' };
    beforeAll(() =>
      rds().send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: 'keys-db',
          DBSubnetGroupDescription: 'keys',
          SubnetIds: subnetIds,
        }),
      ),
    );

    it('manages the master password in a secret of its own, which RDS rotates and deletes', async () => {
      const sm = new SecretsManagerClient(aws(sandbox()));
      await expect(
        rds().send(
          instance('both', { ...inGroup, ManageMasterUserPassword: true }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
      const { DBInstance } = await rds().send(
        instance('managed', {
          ...inGroup,
          MasterUserPassword: undefined,
          ManageMasterUserPassword: true,
        }),
      );
      const SecretId = DBInstance!.MasterUserSecret!.SecretArn!;
      expect(DBInstance!.MasterUserSecret!.SecretStatus).toBe('active');
      const described = await sm.send(new DescribeSecretCommand({ SecretId }));
      expect(described).toMatchObject({
        Name: expect.stringMatching(/^rds!db-[0-9a-f-]{36}$/),
        OwningService: 'rds',
        RotationEnabled: true,
        RotationRules: { AutomaticallyAfterDays: 7 },
      });
      expect(described.RotationLambdaARN).toBeUndefined();
      const first = JSON.parse(
        (await sm.send(new GetSecretValueCommand({ SecretId }))).SecretString!,
      );
      expect(Object.keys(first).sort()).toEqual(['password', 'username']);
      expect(first.username).toBe('app');

      // Its schedule changes through Secrets Manager without a Lambda; a Lambda is refused.
      await sm.send(
        new RotateSecretCommand({
          SecretId,
          RotationRules: { AutomaticallyAfterDays: 30 },
          RotateImmediately: false,
        }),
      );
      await expect(
        sm.send(
          new RotateSecretCommand({
            SecretId,
            RotationLambdaARN: 'arn:aws:lambda:us-east-1:1:function:x',
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidRequestException' });
      // Only RDS changes or deletes it.
      for (const call of [
        new PutSecretValueCommand({ SecretId, SecretString: '{}' }),
        new DeleteSecretCommand({ SecretId, ForceDeleteWithoutRecovery: true }),
      ])
        await expect(sm.send(call as any)).rejects.toMatchObject({
          name: 'InvalidRequestException',
          message: expect.stringContaining('managed by another service'),
        });

      await available('managed');
      await expect(
        rds().send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: 'managed',
            MasterUserPassword: 'chosen-by-hand',
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
      await expect(
        rds().send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: 'managed',
            RotateMasterUserPassword: true,
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
      await rds().send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: 'managed',
          SkipFinalSnapshot: true,
        }),
      );
      await expect(
        sm.send(new DescribeSecretCommand({ SecretId })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });

    it('takes over the password of an instance created with one (ManageMasterUserPassword on modify)', async () => {
      await rds().send(instance('legacy', inGroup));
      const before = await available('legacy');
      expect(before.MasterUserSecret).toBeUndefined();
      const { DBInstance } = await rds().send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'legacy',
          ManageMasterUserPassword: true,
          ApplyImmediately: true,
        }),
      );
      expect(DBInstance!.MasterUserSecret!.SecretArn).toMatch(
        /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:rds!db-/,
      );
    });
  });

  it('modifies an instance as RDS does: protection, retention and window at once; class, storage and Multi-AZ pending, or modifying when applied immediately', async () => {
    await rds().send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: 'grow',
        DBSubnetGroupDescription: 'x',
        SubnetIds: subnetIds,
      }),
    );
    await rds().send(instance('grow-db', { DBSubnetGroupName: 'grow' }));
    await available('grow-db');
    const modify = (extra: object) =>
      rds().send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'grow-db',
          ...extra,
        }),
      );
    // Without ApplyImmediately, a class change waits for the maintenance window.
    const deferred = (await modify({ DBInstanceClass: 'db.t4g.small' }))
      .DBInstance!;
    expect(deferred).toMatchObject({
      DBInstanceStatus: 'available',
      DBInstanceClass: 'db.t4g.micro',
      PendingModifiedValues: { DBInstanceClass: 'db.t4g.small' },
    });
    const applying = (
      await modify({
        AllocatedStorage: 50,
        MultiAZ: true,
        DeletionProtection: true,
        BackupRetentionPeriod: 14,
        PreferredMaintenanceWindow: 'Mon:01:00-Mon:02:00',
        ApplyImmediately: true,
      })
    ).DBInstance!;
    expect(applying).toMatchObject({
      DBInstanceStatus: 'modifying',
      AllocatedStorage: 20,
      MultiAZ: false,
      PendingModifiedValues: {
        DBInstanceClass: 'db.t4g.small',
        AllocatedStorage: 50,
        MultiAZ: true,
      },
      // Applied at once.
      DeletionProtection: true,
      BackupRetentionPeriod: 14,
      PreferredMaintenanceWindow: 'mon:01:00-mon:02:00',
    });
    await expect(modify({ MultiAZ: false })).rejects.toMatchObject({
      name: 'InvalidDBInstanceStateFault',
    });
    const done = await available('grow-db');
    expect(done).toMatchObject({
      DBInstanceClass: 'db.t4g.small',
      AllocatedStorage: 50,
      MultiAZ: true,
    });
    expect(done.PendingModifiedValues?.AllocatedStorage).toBeUndefined();
    // Storage again within six hours of the last change: refused.
    await expect(
      modify({ AllocatedStorage: 100, ApplyImmediately: true }),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  });

  it('refuses the modifications RDS refuses, and upgrades a major version only when allowed', async () => {
    const modify = (extra: object) =>
      rds().send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'grow-db',
          ApplyImmediately: true,
          ...extra,
        }),
      );
    const refused = async (extra: object) => {
      const e = await modify(extra).catch(err => err);
      return `${e.name}: ${e.message}`;
    };
    expect(await refused({ AllocatedStorage: 30 })).toMatch(
      /^InvalidParameterCombination: You can't reduce the allocated storage/,
    );
    expect(await refused({ EngineVersion: '15.12' })).toBe(
      'InvalidParameterCombination: Cannot upgrade postgres from 16.8 to 15.12',
    );
    expect(await refused({ EngineVersion: '17.4' })).toBe(
      'InvalidParameterCombination: The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.',
    );
    expect(
      await refused({ PreferredMaintenanceWindow: 'sun:05:00-sun:05:10' }),
    ).toBe(
      'InvalidParameterValue: The maintenance window must be at least 30 minutes.',
    );
    expect(await refused({ PreferredMaintenanceWindow: 'someday' })).toMatch(
      /^InvalidParameterValue: Invalid maintenance window format: someday/,
    );
    expect(await refused({ BackupRetentionPeriod: 36 })).toBe(
      'InvalidParameterValue: The backup retention period must be between 0 and 35 days.',
    );
    // Nothing of a refused request was applied.
    const unchanged = (
      await rds().send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'grow-db' }),
      )
    ).DBInstances![0];
    expect(unchanged).toMatchObject({
      DBInstanceStatus: 'available',
      EngineVersion: '16.8',
      BackupRetentionPeriod: 14,
      PreferredMaintenanceWindow: 'mon:01:00-mon:02:00',
    });
    const upgrading = (
      await modify({ EngineVersion: '17.4', AllowMajorVersionUpgrade: true })
    ).DBInstance!;
    expect(upgrading).toMatchObject({
      DBInstanceStatus: 'upgrading',
      EngineVersion: '16.8',
      PendingModifiedValues: { EngineVersion: '17.4' },
    });
    expect((await available('grow-db')).EngineVersion).toBe('17.4');
  });

  it('ends a modification it cannot make available with the settings the instance had, when a fail fault is injected', async () => {
    await rds().send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: 'full',
        DBSubnetGroupDescription: 'x',
        SubnetIds: subnetIds,
      }),
    );
    await rds().send(instance('full-db', { DBSubnetGroupName: 'full' }));
    await available('full-db');
    sandbox().faults.add({
      service: 'rds',
      operation: 'ModifyDBInstance',
      kind: 'fail',
      count: 1,
    });
    const applying = (
      await rds().send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'full-db',
          DBInstanceClass: 'db.t4g.large',
          ApplyImmediately: true,
        }),
      )
    ).DBInstance!;
    expect(applying).toMatchObject({
      DBInstanceStatus: 'modifying',
      PendingModifiedValues: { DBInstanceClass: 'db.t4g.large' },
    });
    const ended = await eventually(async () => {
      const d = (
        await rds().send(
          new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'full-db' }),
        )
      ).DBInstances![0];
      return d.DBInstanceStatus === 'modifying' ? undefined : d;
    });
    expect(ended).toMatchObject({
      DBInstanceStatus: 'available',
      DBInstanceClass: 'db.t4g.micro',
    });
    expect(ended.PendingModifiedValues?.DBInstanceClass).toBeUndefined();
  });

  it('ends an instance in the failed state when a fail fault is injected', async () => {
    const id = sandbox().faults.add({
      service: 'rds',
      operation: 'CreateDBInstance',
      kind: 'fail',
      count: 1,
    });
    await rds().send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: 'doomed',
        DBSubnetGroupDescription: 'x',
        SubnetIds: subnetIds,
      }),
    );
    await rds().send(instance('doomed-db', { DBSubnetGroupName: 'doomed' }));
    const status = await eventually(async () => {
      const s = (
        await rds().send(
          new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'doomed-db' }),
        )
      ).DBInstances?.[0]?.DBInstanceStatus;
      return s === 'creating' ? undefined : s;
    });
    expect(status).toBe('failed');
    expect(
      sandbox()
        .faults.list()
        .find(f => f.id === id)?.hits,
    ).toBe(1);
  });
});
