import {
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  paginateDescribeDBInstances,
  RDSClient,
} from '@aws-sdk/client-rds';
import { aws, useSandbox } from '../__testUtils__/sandbox';

// Paging and filters as DescribeDBInstances documents them: MaxRecords 20-100 (default 100), a
// Marker for the rest; filters db-cluster-id, db-instance-id (identifiers or ARNs),
// dbi-resource-id, domain and engine.
describe('RDS Describe calls', () => {
  const sandbox = useSandbox();
  const rds = () => new RDSClient(aws(sandbox()));
  const ids = Array.from({ length: 21 }, (_, i) => `page-${i + 10}`);

  beforeAll(async () => {
    const ec2 = new EC2Client(aws(sandbox()));
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.11.0.0/16' }),
    );
    const SubnetIds = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries())
      SubnetIds.push(
        (
          await ec2.send(
            new CreateSubnetCommand({
              VpcId: Vpc!.VpcId,
              CidrBlock: `10.11.${i}.0/24`,
              AvailabilityZone: az,
            }),
          )
        ).Subnet!.SubnetId!,
      );
    await rds().send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: 'pages',
        DBSubnetGroupDescription: 'pages',
        SubnetIds,
      }),
    );
    // Created out of order: pages come in identifier order.
    for (const id of [...ids].reverse())
      await rds().send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          DBInstanceClass: 'db.t4g.micro',
          Engine: 'postgres',
          AllocatedStorage: 20,
          MasterUsername: 'app',
          ManageMasterUserPassword: true,
          DBSubnetGroupName: 'pages',
        }),
      );
  });

  it('pages with MaxRecords and Marker, and refuses a size or marker RDS does not take', async () => {
    const pages = [];
    for await (const page of paginateDescribeDBInstances(
      { client: rds(), pageSize: 20 },
      {},
    ))
      pages.push(page.DBInstances!.map(d => d.DBInstanceIdentifier));
    expect(pages).toEqual([ids.slice(0, 20), ids.slice(20)]);
    expect(
      (await rds().send(new DescribeDBInstancesCommand({}))).DBInstances,
    ).toHaveLength(21);

    for (const MaxRecords of [5, 101])
      await expect(
        rds().send(new DescribeDBInstancesCommand({ MaxRecords })),
      ).rejects.toMatchObject({
        name: 'InvalidParameterValue',
        message: `Invalid value ${MaxRecords} for MaxRecords. Must be between 20 and 100`,
      });
    const { Marker } = await rds().send(
      new DescribeDBInstancesCommand({ MaxRecords: 20 }),
    );
    expect(Marker).toBeDefined();
    // A marker belongs to the call that returned it.
    await expect(
      rds().send(
        new DescribeDBInstancesCommand({
          MaxRecords: 20,
          Marker,
          Filters: [{ Name: 'engine', Values: ['postgres'] }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      rds().send(new DescribeDBInstancesCommand({ Marker: 'not-a-marker' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('filters by identifier or ARN, resource id and engine, and refuses a filter it does not document', async () => {
    const describe = async (Name: string, Values: string[]) =>
      (
        await rds().send(
          new DescribeDBInstancesCommand({ Filters: [{ Name, Values }] }),
        )
      ).DBInstances!.map(d => d.DBInstanceIdentifier);
    const arn = 'arn:aws:rds:us-east-1:123456789012:db:page-12';
    expect(await describe('db-instance-id', [arn, 'PAGE-13'])).toEqual([
      'page-12',
      'page-13',
    ]);
    const { DBInstances } = await rds().send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'page-14' }),
    );
    expect(
      await describe('dbi-resource-id', [DBInstances![0].DbiResourceId!]),
    ).toEqual(['page-14']);
    expect(await describe('engine', ['postgres'])).toHaveLength(21);
    expect(await describe('engine', ['mysql'])).toEqual([]);
    // No instance of the sandbox is in a cluster or a directory domain.
    expect(await describe('db-cluster-id', ['any'])).toEqual([]);
    expect(await describe('domain', ['d-1234567890'])).toEqual([]);
    // The identifier and the filters both apply.
    await expect(
      rds().send(
        new DescribeDBInstancesCommand({
          DBInstanceIdentifier: 'page-14',
          Filters: [{ Name: 'engine', Values: ['mysql'] }],
        }),
      ),
    ).resolves.toMatchObject({ DBInstances: [] });

    await expect(describe('status', ['available'])).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: 'Unrecognized filter name: status',
    });
    await expect(describe('engine', [])).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
  });

  it('pages subnet groups too', async () => {
    const first = await rds().send(
      new DescribeDBSubnetGroupsCommand({ MaxRecords: 20 }),
    );
    expect(first.DBSubnetGroups!.map(g => g.DBSubnetGroupName)).toEqual([
      'pages',
    ]);
    expect(first.Marker).toBeUndefined();
    await expect(
      rds().send(new DescribeDBSubnetGroupsCommand({ MaxRecords: 10 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});
