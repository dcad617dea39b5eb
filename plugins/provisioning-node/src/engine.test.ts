import * as k8s from '@kubernetes/client-node';
import { DescribeVpcAttributeCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  APP_CATEGORIES,
  type AppCategory,
  ProvisioningEvent,
  renderChart,
} from '@konductor/plugin-provisioning-common';
import { AwsClientFactory } from './aws/AwsClientFactory';
import { destroyStack } from './destroy';
import { StackProvisioningError } from './stackRun';
import { knownFields, Sandbox, STARTER_IMAGE } from '@konductor/sandbox';
import { AwsProvider } from './aws/AwsProvider';
import {
  credentials,
  engineHelpers,
  kubeClient,
  sandboxProvider,
  stack,
  startEngineSandbox,
} from './__testUtils__/engineSandbox';

describe('provisionStack with the AWS provider against the sandbox', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;
  beforeEach(async () => {
    ({ sandbox, provider } = await startEngineSandbox());
  });
  afterEach(() => sandbox.stop());
  const { secretValue, inspect, run, interval } = engineHelpers(
    () => sandbox,
    () => provider,
  );

  it('provisions network, database, secrets, cluster and app, passing outputs along', async () => {
    const events: ProvisioningEvent[] = [];
    const outputs = await run(stack('shop'), events);

    expect(outputs.network).toMatchObject({
      vpcId: expect.stringMatching(/^vpc-/),
      subnetIds: [expect.any(String), expect.any(String)],
    });
    // DNS resolution and host names on, which the cluster's private endpoint needs (the sandbox's
    // node group fails without them, as EKS's nodes would not join).
    const ec2 = new EC2Client({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
    for (const Attribute of ['enableDnsSupport', 'enableDnsHostnames'] as const)
      expect(
        await ec2.send(
          new DescribeVpcAttributeCommand({
            VpcId: String(outputs.network!.vpcId),
            Attribute,
          }),
        ),
      ).toMatchObject({
        [Attribute.replace(/^e/, 'E')]: { Value: true },
      });
    expect(outputs.database).toMatchObject({
      instanceId: 'shop-dev-db',
      port: 5432,
      endpoint: expect.stringContaining('shop-dev-db'),
      // RDS keeps the master password in a secret of its own.
      masterUserSecretArn: expect.stringMatching(/:secret:rds!db-/),
    });
    expect(outputs.secrets).toEqual({
      secretArns: [
        expect.stringContaining(':secret:konductor/shop-dev/SESSION_KEY-'),
      ],
    });
    expect(outputs.cluster).toMatchObject({
      clusterName: 'shop-dev',
      endpoint: expect.stringContaining('/k8s/'),
    });
    expect(outputs.app).toEqual({
      namespace: 'shop-dev',
      url: 'https://shop-dev.apps.konductor.local',
    });
    expect((await inspect()).counts).toEqual({
      'ec2/vpc': 1,
      // Private and public subnets, and the NAT gateway through which the nodes pull the image.
      'ec2/subnet': 4,
      'ec2/internet-gateway': 1,
      'ec2/elastic-ip': 1,
      'ec2/nat-gateway': 1,
      // The VPC's main one, and the stack's public and private ones.
      'ec2/route-table': 4,
      // The VPC's default one, and the database's.
      'ec2/security-group': 3,
      'rds/db-subnet-group': 1,
      'rds/db-instance': 1,
      'secretsmanager/secret': 2,
      'eks/cluster': 1,
      'eks/nodegroup': 1,
      // The app's, and the four every cluster has.
      'kubernetes/namespace': 5,
      'kubernetes/secret': 1,
      'kubernetes/deployment': 1,
      'kubernetes/service': 1,
      'kubernetes/ingress': 1,
    });

    // The app got the database endpoint as plain env and the password through a Secret reference.
    const deployment = await (
      await kubeClient(sandbox, outputs.cluster!, k8s.AppsV1Api)
    ).readNamespacedDeployment({ name: 'shop', namespace: 'shop-dev' });
    const env = deployment.spec!.template.spec!.containers[0].env!;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'DB_HOST', value: outputs.database!.endpoint },
        { name: 'DB_PORT', value: '5432' },
        {
          name: 'DB_PASSWORD',
          valueFrom: {
            secretKeyRef: { name: 'shop-secrets', key: 'DB_PASSWORD' },
          },
        },
      ]),
    );

    // No event carries a secret value.
    const db = JSON.parse(
      await secretValue(String(outputs.database!.masterUserSecretArn)),
    );
    const session = await secretValue('konductor/shop-dev/SESSION_KEY');
    const log = JSON.stringify(events);
    expect(db.password.length).toBeGreaterThan(20);
    expect(log).not.toContain(db.password);
    expect(log).not.toContain(session);
    expect(events.at(-1)).toMatchObject({ status: 'run-succeeded' });
  });

  it('gives the app the credentials of each of two databases, as RDS keeps them', async () => {
    const spec = stack('two', {
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        'orders-db': { kind: 'database', passwordRotationDays: 30 },
        'analytics-db': { kind: 'database' },
        cluster: {},
        app: {
          image: STARTER_IMAGE,
          secretEnv: {
            ORDERS_URL: 'orders-db.url',
            ANALYTICS_PASSWORD: 'analytics-db.password',
          },
        },
      },
    });
    const events: ProvisioningEvent[] = [];
    const outputs = await run(spec, events);
    const kept = async (db: string) =>
      JSON.parse(
        await secretValue(String(outputs[db]!.masterUserSecretArn)),
      ) as { username: string; password: string };
    const [orders, analytics] = [
      await kept('orders-db'),
      await kept('analytics-db'),
    ];
    expect(orders.password).not.toBe(analytics.password);
    const secret = await (
      await kubeClient(sandbox, outputs.cluster!)
    ).readNamespacedSecret({ name: 'two-secrets', namespace: 'two-dev' });
    const data = (key: string) =>
      Buffer.from(secret.data![key], 'base64').toString();
    expect(data('ORDERS_URL')).toBe(
      `postgresql://${orders.username}:${orders.password}@${
        outputs['orders-db']!.endpoint
      }:5432/app`,
    );
    expect(data('ANALYTICS_PASSWORD')).toBe(analytics.password);
    // Each password rotates on its database's schedule, RDS's own (7 days) unless given.
    const sm = new SecretsManagerClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
    const rotation = async (db: string) =>
      (
        await sm.send(
          new DescribeSecretCommand({
            SecretId: String(outputs[db]!.masterUserSecretArn),
          }),
        )
      ).RotationRules?.AutomaticallyAfterDays;
    expect([
      await rotation('orders-db'),
      await rotation('analytics-db'),
    ]).toEqual([30, 7]);
    const log = JSON.stringify(events);
    expect(log).not.toContain(orders.password);
    expect(log).not.toContain(analytics.password);
  });

  it('refuses to rotate generated secrets without a rotation function, and writes none', async () => {
    // Secrets Manager rotates a secret no service manages only through a Lambda function.
    const bare = sandboxProvider(sandbox, [], { rotationLambdaArn: undefined });
    const error = await run(stack('norot'), [], { provider: bare }).catch(
      e => e,
    );
    expect(error.message).toContain(
      'resources.secrets.rotationDays: rotating generated secrets needs a rotation function, and this portal has none (konductor.aws.rotationFunctionName)',
    );
    expect((await inspect()).counts['secretsmanager/secret']).toBeUndefined();
  });

  it('fails an app whose image no registry holds, saying so while it waits and naming the image', async () => {
    const impatient = sandboxProvider(sandbox, [], { imagePullGraceMs: 1000 });
    const spec = stack('ghost', {
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: {},
        app: { image: 'ghcr.io/acme/ghost:0.1.0' },
      },
    });
    const events: ProvisioningEvent[] = [];
    const error = await run(spec, events, { provider: impatient }).catch(
      e => e,
    );
    expect(error).toBeInstanceOf(StackProvisioningError);
    expect(error.message).toMatch(
      /resources\.app\.image: the cluster cannot run ghcr\.io\/acme\/ghost:0\.1\.0 \((ErrImagePull|ImagePullBackOff): /,
    );
    expect(error.message).toContain('starter image');
    // While it waited, the run showed why the pods were not ready.
    expect(
      events.some(e =>
        e.message?.includes(
          'pods ErrImagePull: Failed to pull image "ghcr.io/acme/ghost:0.1.0"',
        ),
      ),
    ).toBe(true);
    expect((await inspect()).total).toBe(0);
  });

  it('fails an app whose nodes have no way out to its registry: a network without NAT', async () => {
    const impatient = sandboxProvider(sandbox, [], { imagePullGraceMs: 1000 });
    const spec = stack('closed', {
      resources: {
        network: { cidr: '10.0.0.0/16' },
        cluster: {},
        app: { image: STARTER_IMAGE },
      },
    });
    const error = await run(spec, [], { provider: impatient }).catch(e => e);
    expect(error.message).toContain(
      `resources.app.image: the cluster cannot run ${STARTER_IMAGE}`,
    );
    expect(error.message).toContain(
      'Head "https://ghcr.io/v2/acme/platform-starter/manifests/1": dial tcp: i/o timeout',
    );
    expect(error.message).toContain('natGateways');
  });

  it("deploys a cron job as its chart renders it, and the API server validates every category's chart", async () => {
    const spec = stack('jobs', {
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: {},
        app: {
          category: 'cron-job',
          schedule: '0 3 * * *',
          image: STARTER_IMAGE,
          env: { MODE: 'nightly' },
        },
      },
    });
    const outputs = await run(spec, []);
    // No URL: a cron job serves nothing.
    expect(outputs.app).toEqual({ namespace: 'jobs-dev' });
    const counts = (await inspect()).counts;
    expect(counts['kubernetes/cronjob']).toBe(1);
    expect(counts['kubernetes/deployment']).toBeUndefined();
    expect(counts['kubernetes/service']).toBeUndefined();
    const cron = await (
      await kubeClient(sandbox, outputs.cluster!, k8s.BatchV1Api)
    ).readNamespacedCronJob({ name: 'jobs', namespace: 'jobs-dev' });
    expect(cron.spec).toMatchObject({
      schedule: '0 3 * * *',
      concurrencyPolicy: 'Forbid',
      // The API server's defaults.
      successfulJobsHistoryLimit: 3,
      suspend: false,
    });

    // Every category's chart, as the API server validates it (nothing stored: dryRun=All), and
    // every field of it one its kind has in Kubernetes' OpenAPI models (the client's serializer
    // would drop the others silently; the API server refuses them under fieldValidation=Strict).
    const objects = await kubeClient(
      sandbox,
      outputs.cluster!,
      k8s.KubernetesObjectApi,
    );
    const chart = (category: AppCategory) =>
      renderChart({
        category,
        name: `${category}-app`,
        namespace: 'jobs-dev',
        stack: 'jobs-dev',
        image: STARTER_IMAGE,
        replicas: 2,
        cpu: '250m',
        memory: '512Mi',
        port: 8080,
        healthCheckPath: '/healthz',
        env: { A: '1' },
        secretEnv: ['B'],
        secretName: 'jobs-secrets',
        hosts: ['jobs.example.com'],
        tls: true,
        schedule: '*/5 * * * *',
      });
    for (const category of APP_CATEGORIES)
      for (const manifest of chart(category)) {
        expect(knownFields(manifest.kind, manifest).unknown).toEqual([]);
        await expect(
          objects.create(manifest, undefined, 'All'),
        ).resolves.toMatchObject({ kind: manifest.kind });
      }
    expect((await inspect()).counts['kubernetes/cronjob']).toBe(1);
    // The same call refuses what a real API server refuses in a job.
    const [job] = chart('cron-job');
    job.spec!.jobTemplate.spec.template.spec.restartPolicy = 'Always';
    job.spec!.schedule = '61 * * * *';
    const refused = await objects.create(job, undefined, 'All').catch(e => e);
    expect(refused.code).toBe(422);
    expect(JSON.parse(refused.body).message).toBe(
      'CronJob.batch "cron-job-app" is invalid: [spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61, spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"]',
    );
  });

  it('runs independent branches in parallel: the cluster does not wait for the database', async () => {
    const events: ProvisioningEvent[] = [];
    await run(stack('par'), events);
    const [dbStart, dbEnd] = interval(events, 'database');
    const [clusterStart, clusterEnd] = interval(events, 'cluster');
    expect(clusterStart).toBeLessThan(dbEnd);
    expect(dbStart).toBeLessThan(clusterEnd);
    const [, netEnd] = interval(events, 'network');
    expect(Math.max(dbStart, clusterStart)).toBeGreaterThanOrEqual(netEnd);
  });

  it('gets through throttling and 5xx injected on 30% of calls', async () => {
    sandbox.faults.add({ service: '*', kind: 'throttle', probability: 0.15 });
    sandbox.faults.add({
      service: '*',
      kind: 'server-error',
      probability: 0.15,
    });
    const outputs = await run(stack('flaky'), []);
    expect(outputs.app?.url).toBeDefined();
    const hits = sandbox.faults.list().reduce((sum, f) => sum + f.hits, 0);
    expect(hits).toBeGreaterThan(10);
    expect((await inspect()).counts['eks/cluster']).toBe(1);
  });

  it('abandons a call that gets no answer and tries it again, instead of waiting forever', async () => {
    sandbox.faults.add({
      service: 'ec2',
      operation: 'DescribeVpcs',
      kind: 'latency',
      latencyMs: 600_000,
      count: 1,
    });
    sandbox.faults.add({
      service: 'kubernetes',
      operation: 'POST Namespace',
      kind: 'latency',
      latencyMs: 600_000,
      count: 1,
    });
    const patient = new AwsProvider({
      clients: new AwsClientFactory({
        credentials,
        endpoint: sandbox.url,
        callTimeoutMs: 300,
        retry: { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 100 },
      }),
      pollIntervalMs: 20,
    });
    const spec = stack('hung', {
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: {},
        app: { image: STARTER_IMAGE },
      },
    });
    const outputs = await run(spec, [], { provider: patient });
    expect(outputs.app?.namespace).toBe('hung-dev');
    expect(sandbox.faults.list().map(f => f.hits)).toEqual([1, 1]);
  }, 15_000);

  it('rolls back everything after a permanent failure of the cluster, with the original error', async () => {
    sandbox.faults.add({
      service: 'eks',
      operation: 'CreateCluster',
      kind: 'fail',
    });
    const events: ProvisioningEvent[] = [];
    const doomed = stack('doomed');
    doomed.resources.network!.natGateways = 1;
    const error = await run(doomed, events).catch(e => e);
    expect(error).toBeInstanceOf(StackProvisioningError);
    expect(error.message).toMatch(/EKS cluster doomed-dev failed to create/);
    expect(error.message).toMatch(/Rolled back: /);
    const started = events
      .filter(e => e.status === 'creating')
      .map(e => e.resource!);
    expect(started).toEqual(
      expect.arrayContaining(['network', 'database', 'cluster']),
    );
    expect(started).not.toContain('app');
    expect(error.rolledBack.sort()).toEqual([...new Set(started)].sort());
    expect(
      events.filter(e => e.status === 'skipped').map(e => e.resource),
    ).toContain('app');
    expect((await inspect()).total).toBe(0);
  });

  it('builds outbound internet through NAT gateways, destroys all of it, and builds it again', async () => {
    const spec = stack('egress');
    spec.resources = {
      network: {
        kind: 'network',
        cidr: '10.8.0.0/16',
        availabilityZones: 3,
        natGateways: 2,
      },
    };
    const outputs = await run(spec, []);
    expect(outputs.network).toMatchObject({
      subnetIds: expect.any(Array),
      publicSubnetIds: expect.any(Array),
      natGatewayIds: [
        expect.stringMatching(/^nat-/),
        expect.stringMatching(/^nat-/),
      ],
    });
    expect((await inspect()).counts).toEqual({
      'ec2/vpc': 1,
      'ec2/subnet': 6,
      'ec2/internet-gateway': 1,
      'ec2/elastic-ip': 2,
      'ec2/nat-gateway': 2,
      // The VPC's main one, the public one and one private one per NAT gateway.
      'ec2/route-table': 5,
      // The VPC's default one.
      'ec2/security-group': 1,
    });
    // A re-run adopts everything instead of creating a second set.
    await run(spec, []);
    expect((await inspect()).counts['ec2/nat-gateway']).toBe(2);
    await destroyStack({
      spec,
      provider,
      runId: 'destroy-1',
      onEvent: () => {},
    });
    expect((await inspect()).total).toBe(0);
    // The same stack again: client tokens are the attempt's own, not the stack's, so EC2 does not
    // answer with the deleted gateways or refuse the new subnets as a parameter mismatch.
    const again = await run(spec, [], { runId: 'task-2_egress-dev' });
    expect(again.network!.natGatewayIds).toHaveLength(2);
    expect(again.network!.natGatewayIds).not.toEqual(
      outputs.network!.natGatewayIds,
    );
    expect((await inspect()).counts['ec2/nat-gateway']).toBe(2);
  });

  it('finishes a destroy that runs again while the database is already being deleted', async () => {
    const spec = stack('twice', {
      resources: { network: { cidr: '10.0.0.0/16' }, database: {} },
    });
    await run(spec, []);
    // Two destroys at once: the second meets the instance deleting (RDS answers
    // InvalidDBInstanceState, which the SDK names InvalidDBInstanceStateFault) and waits it out.
    const destroy = (runId: string) =>
      destroyStack({ spec, provider, runId, onEvent: () => {} });
    await Promise.all([destroy('destroy-a'), destroy('destroy-b')]);
    expect((await inspect()).total).toBe(0);
  });

  it('retains what it created when onFailure is retain', async () => {
    sandbox.faults.add({
      service: 'eks',
      operation: 'CreateCluster',
      kind: 'fail',
    });
    const error = await run(
      { ...stack('kept'), onFailure: 'retain' },
      [],
    ).catch(e => e);
    expect(error.retained).toEqual(
      expect.arrayContaining(['cluster', 'database', 'network']),
    );
    expect(error.retained).not.toContain('app');
    expect((await inspect()).counts['eks/cluster']).toBe(1);
  });
});
