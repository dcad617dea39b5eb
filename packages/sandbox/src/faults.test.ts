import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import {
  CreateVpcCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { aws, eventually, FAST, useSandbox } from './__testUtils__/sandbox';

describe('fault injection', () => {
  const sandbox = useSandbox({ durations: FAST });
  afterEach(() => sandbox().faults.clear());

  it('STS answers GetCallerIdentity for the account the access key names', async () => {
    const me = await new STSClient(aws(sandbox())).send(
      new GetCallerIdentityCommand({}),
    );
    expect(me).toMatchObject({
      Account: '123456789012',
      Arn: 'arn:aws:iam::123456789012:user/konductor-sandbox',
    });
    const other = await new STSClient(aws(sandbox(), 'AKIA999988887777')).send(
      new GetCallerIdentityCommand({}),
    );
    expect(other.Account).toBe('999988887777');
  });

  it("throttles with each service's own error, which the SDK classifies as throttling", async () => {
    sandbox().faults.add({ service: '*', kind: 'throttle' });
    await expect(
      new STSClient(aws(sandbox())).send(new GetCallerIdentityCommand({})),
    ).rejects.toMatchObject({
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      new EKSClient(aws(sandbox())).send(new ListClustersCommand({})),
    ).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 429 },
    });
    await expect(
      new SecretsManagerClient(aws(sandbox())).send(
        new CreateSecretCommand({ Name: 'x', SecretString: 'y' }),
      ),
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it("the SDK's own retries get through a fault limited by count", async () => {
    sandbox().faults.add({
      service: 'eks',
      operation: 'ListClusters',
      kind: 'server-error',
      count: 2,
    });
    const client = new EKSClient({ ...aws(sandbox()), maxAttempts: 3 });
    const res = await client.send(new ListClustersCommand({}));
    expect(res.$metadata.attempts).toBe(3);
    expect(sandbox().faults.list()[0].hits).toBe(2);
  });

  it('hits about the requested share of requests by probability, reproducibly with a seed', async () => {
    sandbox().faults.add({
      service: 'eks',
      kind: 'server-error',
      probability: 0.3,
    });
    const client = new EKSClient(aws(sandbox()));
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const ok = await client.send(new ListClustersCommand({})).then(
        () => true,
        () => false,
      );
      if (!ok) failed += 1;
    }
    expect(failed).toBeGreaterThan(35);
    expect(failed).toBeLessThan(85);
  });

  it('adds latency and returns quota errors', async () => {
    sandbox().faults.add({
      service: 'sts',
      kind: 'latency',
      latencyMs: 150,
      count: 1,
    });
    const started = Date.now();
    await new STSClient(aws(sandbox())).send(new GetCallerIdentityCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    sandbox().faults.add({ service: 'eks', kind: 'quota', count: 1 });
    await expect(
      new EKSClient(aws(sandbox())).send(new ListClustersCommand({})),
    ).rejects.toMatchObject({ name: 'ResourceLimitExceededException' });
  });

  it('is configured at run time through the admin endpoint, which rejects malformed rules', async () => {
    const bad = await fetch(`${sandbox().url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ service: 'eks', kind: 'explode' }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toContain('"kind"');
    const ok = await fetch(`${sandbox().url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ service: 'sts', kind: 'server-error', count: 1 }),
    });
    expect(ok.status).toBe(201);
    await expect(
      new STSClient(aws(sandbox())).send(new GetCallerIdentityCommand({})),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    await expect(
      new STSClient(aws(sandbox())).send(new GetCallerIdentityCommand({})),
    ).resolves.toMatchObject({ Account: '123456789012' });
  });

  it('holds a create in progress until its rule is removed, then lets it finish', async () => {
    const added = await fetch(`${sandbox().url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({
        service: 'ec2',
        operation: 'CreateVpc',
        kind: 'hold',
        count: 1,
      }),
    });
    const [id] = (await added.json()).ids;
    const ec2 = new EC2Client(aws(sandbox()));
    const create = async (cidr: string) =>
      (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc!.VpcId!;
    const status = async (vpc: string) =>
      (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpc] }))).Vpcs![0]
        .State;
    const held = await create('10.90.0.0/16');
    const free = await create('10.91.0.0/16');
    // The rule was used up by the first: the second finishes in its usual time.
    await eventually(async () =>
      (await status(free)) === 'available' ? true : undefined,
    );
    expect(await status(held)).toBe('pending');
    expect(
      (
        await fetch(`${sandbox().url}/__sandbox/faults/${id}`, {
          method: 'DELETE',
        })
      ).status,
    ).toBe(204);
    expect(
      await eventually(async () =>
        (await status(held)) === 'available' ? 'available' : undefined,
      ),
    ).toBe('available');
    expect(
      (
        await fetch(`${sandbox().url}/__sandbox/faults/${id}`, {
          method: 'DELETE',
        })
      ).status,
    ).toBe(404);
  });
});
