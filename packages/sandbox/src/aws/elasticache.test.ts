import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateCacheSubnetGroupCommand,
  CreateReplicationGroupCommand,
  CreateReplicationGroupCommandInput,
  DeleteCacheSubnetGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  ModifyReplicationGroupCommand,
  ElastiCacheClient,
  ListTagsForResourceCommand,
  paginateDescribeReplicationGroups,
} from '@aws-sdk/client-elasticache';
import { aws, eventually, useSandbox } from '../__testUtils__/sandbox';

describe('ElastiCache', () => {
  const sandbox = useSandbox();
  const cache = () => new ElastiCacheClient(aws(sandbox()));
  let subnetIds: string[];
  let groupId: string;

  beforeAll(async () => {
    const ec2 = new EC2Client(aws(sandbox()));
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }),
    );
    subnetIds = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
      const { Subnet } = await ec2.send(
        new CreateSubnetCommand({
          VpcId: Vpc!.VpcId,
          CidrBlock: `10.20.${i}.0/24`,
          AvailabilityZone: az,
        }),
      );
      subnetIds.push(Subnet!.SubnetId!);
    }
    groupId = (await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'cache',
        Description: 'cache',
        VpcId: Vpc!.VpcId,
      }),
    ))!.GroupId!;
    await cache().send(
      new CreateCacheSubnetGroupCommand({
        CacheSubnetGroupName: 'Shop-Cache',
        CacheSubnetGroupDescription: 'shop',
        SubnetIds: subnetIds,
        Tags: [{ Key: 'konductor:stack', Value: 'shop' }],
      }),
    );
  });

  const group = (
    id: string,
    extra: Partial<CreateReplicationGroupCommandInput> = {},
  ) =>
    new CreateReplicationGroupCommand({
      ReplicationGroupId: id,
      ReplicationGroupDescription: 'shop cache',
      Engine: 'redis',
      EngineVersion: '7.1',
      CacheNodeType: 'cache.t4g.micro',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      CacheSubnetGroupName: 'shop-cache',
      SecurityGroupIds: [groupId],
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      AuthToken: 'a-token-of-32-characters-or-so-x',
      SnapshotRetentionLimit: 1,
      Tags: [{ Key: 'konductor:stack', Value: 'shop' }],
      ...extra,
    });

  it('refuses what ElastiCache refuses, with its error codes', async () => {
    const refused = (extra: Partial<CreateReplicationGroupCommandInput>) =>
      cache().send(group('refused', extra));
    await expect(
      refused({ TransitEncryptionEnabled: false }),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombinationException' });
    await expect(refused({ AuthToken: 'short' })).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
    await expect(
      refused({ AuthToken: 'has-a-slash/in-it-and-is-long' }),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(refused({ NumCacheClusters: 1 })).rejects.toMatchObject({
      name: 'InvalidParameterCombinationException',
      message: expect.stringMatching(/at least 2/),
    });
    await expect(
      refused({ AutomaticFailoverEnabled: false }),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombinationException' });
    await expect(refused({ EngineVersion: '5.0' })).rejects.toMatchObject({
      name: 'InvalidParameterCombinationException',
    });
    await expect(
      refused({ CacheNodeType: 'cache.huge.enormous' }),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(
      refused({ CacheSubnetGroupName: 'nope' }),
    ).rejects.toMatchObject({ name: 'CacheSubnetGroupNotFoundFault' });
    await expect(cache().send(group('two--hyphens'))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
    await expect(
      cache().send(
        new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'refused' }),
      ),
    ).rejects.toMatchObject({
      name: 'ReplicationGroupNotFoundFault',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('creates a replication group that becomes available with endpoints, never answering its token', async () => {
    const { ReplicationGroup } = await cache().send(group('Shop'));
    // Identifiers are kept in lowercase; endpoints exist once the group is available.
    expect(ReplicationGroup).toMatchObject({
      ReplicationGroupId: 'shop',
      Status: 'creating',
      AuthTokenEnabled: true,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      MultiAZ: 'enabled',
      MemberClusters: ['shop-001', 'shop-002'],
    });
    expect(ReplicationGroup?.NodeGroups?.[0].PrimaryEndpoint).toBeUndefined();
    await expect(cache().send(group('shop'))).rejects.toMatchObject({
      name: 'ReplicationGroupAlreadyExistsFault',
    });
    // A group still creating cannot be deleted.
    await expect(
      cache().send(
        new DeleteReplicationGroupCommand({ ReplicationGroupId: 'shop' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidReplicationGroupStateFault' });
    const ready = await eventually(async () => {
      const g = (
        await cache().send(
          new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'shop' }),
        )
      ).ReplicationGroups?.[0];
      return g?.Status === 'available' ? g : undefined;
    });
    expect(ready.NodeGroups?.[0].PrimaryEndpoint).toMatchObject({
      Address: expect.stringMatching(
        /^master\.shop\.[0-9a-f]{6}\.use1\.cache\.amazonaws\.com$/,
      ),
      Port: 6379,
    });
    expect(JSON.stringify(ready)).not.toContain('a-token-of-32');
    const { TagList } = await cache().send(
      new ListTagsForResourceCommand({ ResourceName: ready.ARN }),
    );
    expect(TagList).toEqual([{ Key: 'konductor:stack', Value: 'shop' }]);
    await expect(
      cache().send(
        new ListTagsForResourceCommand({
          ResourceName: ready.ARN!.replace('us-east-1', 'eu-west-1'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidARNFault' });
  });

  it('scales a group in place: modifying, its endpoints kept, then available with the new node type; a failed scaling keeps the old one', async () => {
    const modify = (extra: object) =>
      cache().send(
        new ModifyReplicationGroupCommand({
          ReplicationGroupId: 'shop',
          ApplyImmediately: true,
          ...extra,
        }),
      );
    await expect(
      modify({ CacheNodeType: 'cache.huge.enormous' }),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(modify({ SnapshotRetentionLimit: 36 })).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
    const { ReplicationGroup: scaling } = await modify({
      CacheNodeType: 'cache.t4g.small',
      SnapshotRetentionLimit: 7,
    });
    expect(scaling).toMatchObject({
      Status: 'modifying',
      CacheNodeType: 'cache.t4g.micro',
      // Applied at once.
      SnapshotRetentionLimit: 7,
    });
    expect(scaling?.NodeGroups?.[0].PrimaryEndpoint?.Address).toBeDefined();
    // One modification at a time, and no deletion meanwhile.
    await expect(modify({ SnapshotRetentionLimit: 3 })).rejects.toMatchObject({
      name: 'InvalidReplicationGroupStateFault',
    });
    await expect(
      cache().send(
        new DeleteReplicationGroupCommand({ ReplicationGroupId: 'shop' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidReplicationGroupStateFault' });
    const available = async () =>
      eventually(async () => {
        const g = (
          await cache().send(
            new DescribeReplicationGroupsCommand({
              ReplicationGroupId: 'shop',
            }),
          )
        ).ReplicationGroups?.[0];
        return g?.Status === 'available' ? g : undefined;
      });
    expect((await available()).CacheNodeType).toBe('cache.t4g.small');

    // ElastiCache takes the scaling, then ends it without it.
    sandbox().faults.add({
      service: 'elasticache',
      operation: 'ModifyReplicationGroup',
      kind: 'fail',
      count: 1,
    });
    expect(
      (await modify({ CacheNodeType: 'cache.t4g.medium' })).ReplicationGroup
        ?.Status,
    ).toBe('modifying');
    expect((await available()).CacheNodeType).toBe('cache.t4g.small');
  });

  it('pages replication groups by MaxRecords and Marker', async () => {
    await expect(
      cache().send(new DescribeReplicationGroupsCommand({ MaxRecords: 5 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    for (let i = 0; i < 21; i++)
      await cache().send(
        group(`page-${i}`, {
          NumCacheClusters: 1,
          AutomaticFailoverEnabled: false,
          MultiAZEnabled: false,
        }),
      );
    const pages: number[] = [];
    for await (const p of paginateDescribeReplicationGroups(
      { client: cache(), pageSize: 20 },
      {},
    ))
      pages.push(p.ReplicationGroups?.length ?? 0);
    expect(pages).toEqual([20, 2]);
  });

  it('deletes a group, and its subnet group and security group only once it is gone', async () => {
    await cache().send(
      new DeleteReplicationGroupCommand({ ReplicationGroupId: 'shop' }),
    );
    for (let i = 0; i < 21; i++) {
      await eventually(async () =>
        cache()
          .send(
            new DeleteReplicationGroupCommand({
              ReplicationGroupId: `page-${i}`,
            }),
          )
          .then(
            () => true,
            e => {
              if (e.name === 'InvalidReplicationGroupStateFault')
                return undefined;
              throw e;
            },
          ),
      );
    }
    await expect(
      cache().send(
        new DeleteCacheSubnetGroupCommand({
          CacheSubnetGroupName: 'shop-cache',
        }),
      ),
    ).rejects.toMatchObject({ name: 'CacheSubnetGroupInUse' });
    const ec2 = new EC2Client(aws(sandbox()));
    await expect(
      ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })),
    ).rejects.toMatchObject({ name: 'DependencyViolation' });
    await eventually(async () =>
      cache()
        .send(
          new DeleteCacheSubnetGroupCommand({
            CacheSubnetGroupName: 'shop-cache',
          }),
        )
        .then(
          () => true,
          e => {
            if (e.name === 'CacheSubnetGroupInUse') return undefined;
            throw e;
          },
        ),
    );
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
  });
});
