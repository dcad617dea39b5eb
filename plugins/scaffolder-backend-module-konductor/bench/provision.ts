/* eslint-disable no-console */
/**
 * `yarn bench:provision`: provisions the full stack through `konductor:stack:provision` against
 * the sandbox with fixed cloud latencies, and prints the makespan, the critical path of the
 * resource graph, the sum of all durations, their ratios, and the time from task start to the
 * first cloud call. BENCH_SCALE scales every latency (the test command's smoke run uses 0.02).
 */
import { ConfigReader } from '@backstage/config';
import { CHECKS } from '@konductor/plugin-compliance-common';
import {
  STARTER_IMAGE,
  startSandbox,
  SANDBOX_SECRET_ACCESS_KEY,
} from '@konductor/sandbox';
import {
  dependenciesOf,
  parseStackSpec,
  topologicalOrder,
} from '@konductor/plugin-provisioning-common';
import {
  CloudProvider,
  CloudProviders,
} from '@konductor/plugin-provisioning-node';
import { cacheKind } from '@konductor/plugin-scaffolder-backend-module-konductor-redis';
import { domainKind } from '@konductor/plugin-scaffolder-backend-module-konductor-domain';
import { bucketKind } from '@konductor/plugin-scaffolder-backend-module-konductor-s3';
import { awsProviderFromConfig } from '../src/awsProviderFromConfig';
import { createStackProvisionAction } from '../src/actions/stackProvision';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const LATENCY = Object.fromEntries(
  Object.entries({
    network: 2000,
    database: 8000,
    secret: 1000,
    cluster: 12000,
    nodegroup: 4000,
    app: 3000,
    cache: 6000,
    dns: 2000,
    certificate: 5000,
  }).map(([k, ms]) => [k, Math.round(ms * SCALE)]),
) as Record<
  | 'network'
  | 'database'
  | 'secret'
  | 'cluster'
  | 'nodegroup'
  | 'app'
  | 'cache'
  | 'dns'
  | 'certificate',
  number
>;

const input = {
  name: 'bench',
  environment: 'dev',
  owner: 'group:default/bench',
  target: { provider: 'aws', accountId: '123456789012', region: 'us-east-1' },
  resources: {
    // A NAT gateway: the cluster's nodes pull the app's image from the internet.
    network: { cidr: '10.0.0.0/16', natGateways: 1 },
    // RDS rotates its password within the moderate level's 90 days.
    database: { passwordRotationDays: 30 },
    cluster: {},
    // Kinds modules add (an S3 bucket, a Redis cache, a domain), registered as the backend does.
    uploads: { kind: 'bucket', expireAfterDays: 30 },
    sessions: { kind: 'cache' },
    site: { kind: 'domain', zone: 'example.com', host: 'bench' },
    app: {
      image: STARTER_IMAGE,
      replicas: 2,
      domain: 'site',
      secretEnv: { DB_URL: 'database.url', REDIS_URL: 'sessions.url' },
    },
  },
};

async function main() {
  let firstCloudCall: number | undefined;
  const sandbox = await startSandbox({
    hostedZones: ['example.com'],
    durations: {
      vpc: LATENCY.network,
      rdsInstance: LATENCY.database,
      eksCluster: LATENCY.cluster,
      eksNodegroup: LATENCY.nodegroup,
      deployment: LATENCY.app,
      cacheReplicationGroup: LATENCY.cache,
      // Route 53 changes go INSYNC and ACM offers its validation record, then issues.
      dnsChange: LATENCY.dns,
      certificateRecord: LATENCY.dns / 2,
      certificateIssue: LATENCY.certificate,
    },
    // Secrets Manager answers at once; the secret's second comes from latency on its create.
    faults: [
      {
        service: 'secretsmanager',
        operation: 'CreateSecret',
        kind: 'latency',
        latencyMs: LATENCY.secret,
      },
    ],
    onRequest: () => {
      firstCloudCall ??= Date.now();
    },
  });
  const config = new ConfigReader({
    aws: {
      accounts: [
        {
          accountId: '123456789012',
          accessKeyId: 'AKIA123456789012',
          secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
        },
      ],
    },
    konductor: {
      aws: {
        endpoint: sandbox.url,
        pollIntervalSeconds: 0.05 * Math.min(SCALE, 1),
      },
    },
  });

  // The task, as the scaffolder runs it: the action's handler with checkpoints and a logger. The
  // provider is wrapped only to time each resource's own create.
  const provider = awsProviderFromConfig(config, undefined, [
    bucketKind,
    cacheKind,
    domainKind,
  ]);
  const duration: Record<string, number> = {};
  const timed: CloudProvider = {
    id: provider.id,
    target: provider.target,
    kinds: provider.kinds,
    create: async ctx => {
      const started = Date.now();
      const result = await provider.create(ctx);
      duration[ctx.name] = Date.now() - started;
      return result;
    },
    exists: (ctx, o) => provider.exists(ctx, o),
    destroy: ctx => provider.destroy(ctx),
  };
  const silent = {
    info() {},
    warn() {},
    error() {},
    debug() {},
    child() {
      return silent;
    },
  };
  const checkpoints = new Map<string, unknown>();
  const outputs: Record<string, unknown> = {};
  const taskStart = Date.now();
  // The stack's versions, claim, approval and lease are requests to the provisioning backend,
  // which this bench does not measure: the stack is new (no version), needs no approval, and
  // every claim and lease is granted here.
  const stacks = () =>
    ({
      getStackVersions: async () => ({ items: [] }),
      claimStack: async (claim: any) => ({
        created: true,
        stack: { ...claim, stackId: `${claim.name}-${claim.environment}` },
      }),
      openApproval: async () => ({ required: false }),
    } as any);
  await createStackProvisionAction({
    providers: new CloudProviders([timed]),
    stacks,
    platform: {
      acquireStackLease: async (_stack: any, lease: any) => ({
        holder: lease.holder,
        expiresAt: new Date().toISOString(),
      }),
      releaseStackLease: async () => {},
      getApproval: async () => {
        throw new Error('no run of this bench needs approval');
      },
    },
    accounts: [{ accountId: '123456789012', regions: ['us-east-1'] }],
    checks: [
      ...CHECKS,
      ...(bucketKind.checks ?? []),
      ...(cacheKind.checks ?? []),
      ...(domainKind.checks ?? []),
    ],
  }).handler({
    input: input as any,
    logger: silent as any,
    workspacePath: '/tmp',
    task: { id: 'bench' },
    output: (name: string, value: unknown) => {
      outputs[name] = value;
    },
    checkpoint: async ({ key, fn }: any) =>
      checkpoints.has(key)
        ? checkpoints.get(key)
        : fn().then((v: unknown) => {
            checkpoints.set(key, v);
            return v;
          }),
    createTemporaryDirectory: async () => '/tmp',
    getInitiatorCredentials: async () => ({} as any),
  } as any);
  const makespan = Date.now() - taskStart;
  await sandbox.stop();

  const spec = parseStackSpec(input, provider.kinds);
  // Each resource's earliest finish, and the dependency it waited for longest.
  const finish = new Map<string, number>();
  const waitedFor = new Map<string, string>();
  for (const name of topologicalOrder(spec, provider.kinds)) {
    let start = 0;
    for (const d of dependenciesOf(spec, name, provider.kinds))
      if (finish.get(d)! > start) {
        start = finish.get(d)!;
        waitedFor.set(name, d);
      }
    finish.set(name, start + duration[name]);
  }
  const critical = Math.max(...finish.values());
  const path = [[...finish].find(([, f]) => f === critical)![0]];
  while (waitedFor.has(path[0])) path.unshift(waitedFor.get(path[0])!);
  const sum = Object.values(duration).reduce((a, b) => a + b, 0);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

  console.log(
    `konductor:stack:provision, full stack against the sandbox (latencies: ${Object.entries(
      LATENCY,
    )
      .map(([k, v]) => `${k} ${v / 1000}s`)
      .join(', ')})`,
  );
  console.log(
    `  per resource:        ${Object.entries(duration)
      .map(([k, v]) => `${k} ${s(v)}`)
      .join(', ')}`,
  );
  console.log(
    `  makespan:            ${s(makespan)}  (task start to stack ready)`,
  );
  console.log(`  critical path:       ${s(critical)}  (${path.join(' -> ')})`);
  console.log(
    `  sum of durations:    ${s(sum)}  (what a sequential runner would take)`,
  );
  console.log(
    `  makespan / critical: ${(makespan / critical).toFixed(
      3,
    )}  (target <= 1.05)`,
  );
  console.log(
    `  sum / makespan:      ${(sum / makespan).toFixed(
      2,
    )}x  (speed-up over sequential)`,
  );
  console.log(
    `  task start to first cloud call: ${firstCloudCall! - taskStart} ms`,
  );
  console.log(`  app: ${outputs.appUrl}, estimated ${outputs.monthlyCostText}`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
