import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { Sandbox, STARTER_IMAGE, startSandbox } from '@konductor/sandbox';
import {
  credentials,
  durations,
  engineHelpers,
  sandboxProvider,
  stack,
} from './__testUtils__/engineSandbox';
import type { AwsProvider } from './aws/AwsProvider';

// A stack's network, public cluster and app, and the rollback of one that fails.
jest.setTimeout(30_000);

describe('a public cluster endpoint open only to the portal', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;
  // The portal calls from 203.0.113.10; endpoints answer only as EKS configures them.
  beforeEach(async () => {
    sandbox = await startSandbox({
      durations,
      seed: 7,
      privateEndpoints: true,
      clientPublicIp: '203.0.113.10',
    });
  });
  afterEach(() => sandbox.stop());
  const { run } = engineHelpers(
    () => sandbox,
    () => provider,
  );
  const spec = (name: string) =>
    stack(name, {
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: { publicEndpoint: true },
        app: { image: STARTER_IMAGE },
      },
    });

  it("deploys through the public endpoint when its CIDRs hold the portal's egress", async () => {
    provider = sandboxProvider(sandbox, [], {
      clusterPublicAccessCidrs: ['203.0.113.0/24'],
    });
    const outputs = await run(spec('open'), []);
    expect(outputs.app).toMatchObject({ namespace: 'open-dev' });
    const cluster = await new EKSClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    }).send(new DescribeClusterCommand({ name: 'open-dev' }));
    expect(cluster.cluster?.resourcesVpcConfig?.publicAccessCidrs).toEqual([
      '203.0.113.0/24',
    ]);
  });

  it('cannot deploy through an endpoint that takes calls from elsewhere only', async () => {
    provider = sandboxProvider(sandbox, [], {
      clusterPublicAccessCidrs: ['198.51.100.0/24'],
    });
    const error = await run(spec('closed'), []).catch(e => e);
    expect(error.message).toContain(
      "did not answer the portal (other side closed): a private endpoint, or a public one whose publicAccessCidrs do not hold the portal's address (konductor.aws.clusterPublicAccessCidrs), is out of its reach",
    );
  });
});
