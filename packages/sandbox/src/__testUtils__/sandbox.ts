import { Sha256 } from '@aws-crypto/sha256-js';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { Cluster } from '@aws-sdk/client-eks';
import * as k8s from '@kubernetes/client-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { startSandbox, Sandbox, SandboxOptions } from '../startSandbox';
import { SANDBOX_SECRET_ACCESS_KEY } from '../aws/sigv4';

/** Durations short enough for tests, long enough that the "in progress" state is observable. */
export const FAST = {
  vpc: 50,
  rdsInstance: 300,
  rdsInstanceDelete: 200,
  rdsModify: 300,
  eksCluster: 300,
  eksClusterDelete: 200,
  eksClusterUpdate: 200,
  eksNodegroup: 200,
  eksNodegroupDelete: 200,
  eksNodegroupUpdate: 200,
  eksCapability: 200,
  eksCapabilityDelete: 100,
  eksAddon: 150,
  eksAddonDelete: 100,
  deployment: 200,
  namespaceDelete: 100,
  natGateway: 100,
  natGatewayDelete: 50,
  secretForceDelete: 100,
  cacheReplicationGroup: 250,
  cacheReplicationGroupDelete: 100,
  dnsChange: 50,
  certificateRecord: 50,
  certificateIssue: 100,
};

/** Starts a sandbox for one test file and stops it afterwards. */
export function useSandbox(options: SandboxOptions = {}): () => Sandbox {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ durations: FAST, seed: 1, ...options });
  });
  afterAll(() => sandbox?.stop());
  return () => sandbox;
}

/** Client config for any AWS SDK v3 client pointed at the sandbox. */
export function aws(sandbox: Sandbox, accessKeyId = 'AKIA123456789012') {
  return {
    endpoint: sandbox.url,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: SANDBOX_SECRET_ACCESS_KEY },
    maxAttempts: 1,
  };
}

/** Polls until `probe` returns a value other than undefined (bounded). */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise(r => setTimeout(r, 25));
  }
}

/** The sandbox's inspection endpoint. */
export async function inspect(sandbox: Sandbox): Promise<{
  total: number;
  counts: Record<string, number>;
  resources: any[];
}> {
  return (await fetch(`${sandbox.url}/__sandbox/resources`)).json();
}

/**
 * A raw request to the sandbox's AWS endpoint, signed as the SDKs sign one (for bodies no SDK
 * client would send).
 */
export async function signedFetch(
  sandbox: Sandbox,
  service: string,
  init: { headers?: Record<string, string>; body: string },
) {
  const url = new URL(sandbox.url);
  const signed = await new SignatureV4({
    credentials: {
      accessKeyId: 'AKIA123456789012',
      secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
    },
    region: 'us-east-1',
    service,
    sha256: Sha256,
  }).sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, ...init.headers },
    body: init.body,
  });
  return fetch(`${sandbox.url}/`, {
    method: 'POST',
    headers: signed.headers,
    body: init.body,
  });
}

/**
 * An EKS bearer token for `cluster`, made as `aws eks get-token` makes one, signed with
 * `accessKeyId` (an account's IAM user: `AKIA` and its 12 digits).
 */
export async function eksToken(
  cluster: string,
  region = 'us-east-1',
  accessKeyId = 'AKIA123456789012',
) {
  const host = `sts.${region}.amazonaws.com`;
  const signed = await new SignatureV4({
    credentials: {
      accessKeyId,
      secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
    },
    region,
    service: 'sts',
    sha256: Sha256,
  }).presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host, 'x-k8s-aws-id': cluster },
    },
    { expiresIn: 60 },
  );
  const query = new URLSearchParams(
    signed.query as Record<string, string>,
  ).toString();
  return `k8s-aws-v1.${Buffer.from(`https://${host}/?${query}`).toString(
    'base64url',
  )}`;
}

/** A kubeconfig for an EKS cluster as DescribeCluster describes it, with an EKS token. */
export async function eksKubeConfig(
  cluster: Cluster,
  token?: string,
): Promise<k8s.KubeConfig> {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name!,
        server: cluster.endpoint!,
        caData: cluster.certificateAuthority?.data,
      },
    ],
    users: [
      { name: 'konductor', token: token ?? (await eksToken(cluster.name!)) },
    ],
    contexts: [{ name: 'c', cluster: cluster.name!, user: 'konductor' }],
    currentContext: 'c',
  });
  return kc;
}

/**
 * A VPC `{prefix}.0.0/16` with DNS host names (which private endpoints need) and two subnets in
 * two zones, as a cluster needs them; answers the subnets' ids.
 */
export async function clusterSubnets(
  sandbox: Sandbox,
  prefix: string,
): Promise<string[]> {
  const ec2 = new EC2Client(aws(sandbox));
  const vpc = (
    await ec2.send(new CreateVpcCommand({ CidrBlock: `${prefix}.0.0/16` }))
  ).Vpc!.VpcId!;
  await ec2.send(
    new ModifyVpcAttributeCommand({
      VpcId: vpc,
      EnableDnsHostnames: { Value: true },
    }),
  );
  const subnetIds: string[] = [];
  for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries())
    subnetIds.push(
      (
        await ec2.send(
          new CreateSubnetCommand({
            VpcId: vpc,
            CidrBlock: `${prefix}.${i}.0/24`,
            AvailabilityZone: az,
          }),
        )
      ).Subnet!.SubnetId!,
    );
  return subnetIds;
}
