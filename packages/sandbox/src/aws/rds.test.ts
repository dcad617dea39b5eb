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

  it('refuses to delete a protected instance, then deletes it asynchronously', async () => {
    await rds().send(instance('prod-db', { DeletionProtection: true }));
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
