import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import * as k8s from '@kubernetes/client-node';
import {
  startSandbox,
  Sandbox,
  STARTER_IMAGE,
  SANDBOX_SECRET_ACCESS_KEY,
} from '@konductor/sandbox';
import {
  ProvisioningEvent,
  StackSpec,
  validateStackSpec,
} from '@konductor/plugin-provisioning-common';
import { AwsProvider, type AwsProviderOptions } from '../aws/AwsProvider';
import { AwsClientFactory } from '../aws/AwsClientFactory';
import { eksKubeConfig } from '../aws/eksApi';
import { provisionStack } from '../engine';
import type { Checkpoint } from '../stackRun';
import type { CloudProvider, ResourceOutputs } from '../provider';
import type { ResourceKindModule } from '../resourceKinds';

export const durations = {
  vpc: 20,
  rdsInstance: 400,
  rdsInstanceDelete: 100,
  rdsModify: 300,
  eksCluster: 500,
  eksClusterDelete: 100,
  eksClusterUpdate: 200,
  eksNodegroup: 200,
  eksNodegroupDelete: 100,
  eksNodegroupUpdate: 200,
  deployment: 150,
  namespaceDelete: 1000,
  natGateway: 80,
  natGatewayDelete: 40,
  secretForceDelete: 2000,
  cacheReplicationGroup: 250,
  cacheReplicationGroupDelete: 60,
  dnsChange: 40,
  certificateRecord: 30,
  certificateIssue: 60,
};

/** Polls until `probe` answers something other than undefined. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise(r => setTimeout(r, 20));
  }
}

export function stack(
  name: string,
  extra: Record<string, unknown> = {},
): StackSpec {
  const result = validateStackSpec({
    name,
    environment: 'dev',
    owner: 'group:default/team-a',
    target: { provider: 'aws', accountId: '123456789012', region: 'us-east-1' },
    resources: {
      // A NAT gateway: the cluster's nodes pull the app's image from the internet.
      network: { cidr: '10.0.0.0/16', natGateways: 1 },
      database: {},
      secrets: { generated: ['SESSION_KEY'], rotationDays: 30 },
      cluster: {},
      app: {
        image: STARTER_IMAGE,
        replicas: 2,
        env: { DB_HOST: '${database.endpoint}', DB_PORT: '${database.port}' },
        secretEnv: {
          DB_PASSWORD: 'database.password',
          SESSION_KEY: 'SESSION_KEY',
        },
      },
    },
    ...extra,
  });
  if (!result.valid) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

/** The scaffolder's checkpoint semantics: successes are kept across runs, failures are not. */
export function checkpointStore(): Checkpoint & {
  values: Map<string, ResourceOutputs>;
} {
  const values = new Map<string, ResourceOutputs>();
  const fn = (async (key: string, run: () => Promise<ResourceOutputs>) => {
    if (values.has(key)) return values.get(key);
    const v = await run();
    values.set(key, v);
    return v;
  }) as Checkpoint & { values: Map<string, ResourceOutputs> };
  fn.values = values;
  return fn;
}

/** SDK credentials of an account in the sandbox (any secret is accepted there). */
export const credentials = async (accountId: string) => async () => ({
  accessKeyId: `AKIA${accountId}`,
  secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
});

/**
 * A Kubernetes API client of a sandbox cluster (its outputs name it), made as the provider makes
 * one: described through EKS, its CA trusted, with an EKS token.
 */
export async function kubeClient<T = k8s.CoreV1Api>(
  sandbox: Sandbox,
  cluster: ResourceOutputs,
  Api: new (...args: any[]) => T = k8s.CoreV1Api as any,
  /** From inside the cluster's VPC (a test looking at what only an in-cluster agent reaches). */
  insideVpc = false,
): Promise<T> {
  const creds = await credentials('123456789012');
  const described = (
    await new EKSClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: creds,
    }).send(new DescribeClusterCommand({ name: String(cluster.clusterName) }))
  ).cluster!;
  if (insideVpc)
    described.endpoint = described.endpoint!.replace('/k8s/', '/k8s-vpc/');
  return (await eksKubeConfig(described, 'us-east-1', creds)).makeApiClient(
    Api as any,
  ) as T;
}

/** The AWS provider of `sandbox`, with fast polls and retries and the given kind modules. */
export function sandboxProvider(
  sandbox: Sandbox,
  modules: ResourceKindModule[] = [],
  options: Partial<AwsProviderOptions> = {},
): AwsProvider {
  return new AwsProvider(
    {
      clients: new AwsClientFactory({
        credentials,
        endpoint: sandbox.url,
        retry: { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 100 },
      }),
      pollIntervalMs: 20,
      // The sandbox has no Lambda: a rotation function's ARN is taken on trust there.
      rotationLambdaArn: (accountId, region) =>
        `arn:aws:lambda:${region}:${accountId}:function:konductor-rotate-secret`,
      ...options,
    },
    modules,
  );
}

/** A fresh sandbox and the AWS provider pointed at it, with fast polls and retries. */
export async function startEngineSandbox() {
  const sandbox = await startSandbox({ durations, seed: 7 });
  return { sandbox, provider: sandboxProvider(sandbox) };
}

/** How many resources of each type (`s3/bucket`) the sandbox holds. */
export async function sandboxCounts(
  sandbox: Sandbox,
): Promise<Record<string, number>> {
  return (await (await fetch(`${sandbox.url}/__sandbox/resources`)).json())
    .counts;
}

/**
 * A backend that dies while it creates `resource`: `provider` works on, but once `kill()` is
 * called the resource's calls are aborted and its create never returns, as when the process is
 * killed. Everything else goes through `provider` unchanged.
 */
export function dyingProvider(provider: CloudProvider, resource: string) {
  const killed = new AbortController();
  const dying: CloudProvider = {
    id: provider.id,
    target: provider.target,
    kinds: provider.kinds,
    create: ctx => {
      if (ctx.name !== resource) return provider.create(ctx);
      provider.create({ ...ctx, signal: killed.signal }).catch(() => undefined);
      return new Promise(() => {});
    },
    exists: (ctx, o) => provider.exists(ctx, o),
    destroy: ctx => provider.destroy(ctx),
  };
  return { provider: dying, kill: () => killed.abort() };
}

/** What the engine tests do with the current sandbox and provider. */
export function engineHelpers(
  sandbox: () => Sandbox,
  provider: () => CloudProvider,
) {
  return {
    /** A secret's value as Secrets Manager keeps it in the sandbox. */
    secretValue: async (SecretId: string) =>
      (
        await new SecretsManagerClient({
          endpoint: sandbox().url,
          region: 'us-east-1',
          credentials: await credentials('123456789012'),
        }).send(new GetSecretValueCommand({ SecretId }))
      ).SecretString!,
    inspect: async () =>
      (await (await fetch(`${sandbox().url}/__sandbox/resources`)).json()) as {
        total: number;
        counts: Record<string, number>;
      },
    run: (
      spec: StackSpec,
      events: ProvisioningEvent[],
      opts: {
        checkpoint?: Checkpoint;
        signal?: AbortSignal;
        provider?: CloudProvider;
        runId?: string;
      } = {},
    ) =>
      provisionStack({
        spec,
        runId: opts.runId ?? `task-1_${spec.name}-${spec.environment}`,
        provider: opts.provider ?? provider(),
        checkpoint: opts.checkpoint ?? checkpointStore(),
        signal: opts.signal,
        onEvent: e => events.push(e),
      }),
    /** When a resource started being created and when it was ready (epoch ms). */
    interval: (events: ProvisioningEvent[], resource: string) => {
      const of = events.filter(e => e.resource === resource);
      return [
        Date.parse(of.find(e => e.status === 'creating')!.at),
        Date.parse(of.find(e => e.status === 'ready')!.at),
      ];
    },
  };
}
