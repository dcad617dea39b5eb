import { z } from 'zod/v3';
import { planStack } from './plan';
import { stackSpecJsonSchema, stackSpecJsonSchemaOf } from './jsonSchema';
import { BUILT_IN_RESOURCE_KINDS, defineKind } from './kinds';
import {
  dependenciesOf,
  formatProblems,
  parseStackSpec,
  resolveReferences,
  sanitizeName,
  splitCidr,
  topologicalOrder,
  validateStackSpec,
} from './validation';

/** A complete stack: network, database, secrets, cluster and app. */
const fullStack = {
  name: 'Shop',
  environment: 'dev',
  target: { provider: 'aws', accountId: '123456789012', region: 'us-east-1' },
  resources: {
    network: { cidr: '10.0.0.0/16' },
    database: { instanceClass: 'db.t4g.small', storageGb: 50 },
    secrets: { generated: ['SESSION_KEY'], rotationDays: 30 },
    cluster: {
      nodeInstanceType: 't3.medium',
      minNodes: 1,
      desiredNodes: 2,
      maxNodes: 3,
    },
    app: {
      image: 'ghcr.io/acme/shop:1.0.0',
      env: { DB_HOST: '${database.endpoint}', DB_PORT: '${database.port}' },
      secretEnv: {
        DB_PASSWORD: 'database.password',
        SESSION_KEY: 'SESSION_KEY',
      },
    },
  },
};

describe('validateStackSpec', () => {
  it('accepts a complete stack, applies defaults and sanitizes the name', () => {
    const result = validateStackSpec(fullStack);
    if (!result.valid) throw new Error(formatProblems(result.problems));
    expect(result.spec.name).toBe('shop');
    expect(result.spec.complianceLevel).toBe('moderate');
    expect(result.spec.onFailure).toBe('rollback');
    expect(result.spec.resources.database).toMatchObject({
      engineVersion: '16.8',
      encrypted: true,
      backupRetentionDays: 7,
    });
  });

  it('reports every problem at once, naming the field and what to change', () => {
    const result = validateStackSpec({
      ...fullStack,
      resources: {
        ...fullStack.resources,
        network: { cidr: '10.0.0.300/16' },
        database: { engineVersion: '9.6' },
        cluster: { minNodes: 4, desiredNodes: 2, maxNodes: 3 },
        app: {
          ...fullStack.resources.app,
          env: { X: '${database.password}', Y: '${queue.url}' },
        },
      },
    });
    expect(result.valid).toBe(false);
    const byPath = Object.fromEntries(
      result.problems.map(p => [p.path, p.message]),
    );
    expect(byPath['resources.network.cidr']).toMatch(/not an IPv4 network/);
    expect(byPath['resources.database.engineVersion']).toMatch(
      /PostgreSQL 9.6 is not offered: choose one of .*16.8/,
    );
    expect(byPath['resources.cluster.minNodes']).toMatch(
      /minNodes \(4\) is above maxNodes \(3\)/,
    );
    expect(byPath['resources.cluster.desiredNodes']).toBeDefined();
    expect(byPath['resources.app.env.X']).toMatch(
      /database has no output 'password'/,
    );
    expect(byPath['resources.app.env.Y']).toMatch(
      /'queue', which is not a resource of this stack/,
    );
    expect(formatProblems(result.problems)).toMatch(
      /^The stack spec has 6 problems:/,
    );
  });

  it("checks an app's category: a cron job's schedule, and what only a web service has", () => {
    const withApp = (app: Record<string, unknown>) =>
      validateStackSpec({
        ...fullStack,
        resources: {
          ...fullStack.resources,
          app: { ...fullStack.resources.app, ...app },
        },
      });
    const problems = (app: Record<string, unknown>) => {
      const result = withApp(app);
      return result.valid
        ? {}
        : Object.fromEntries(result.problems.map(p => [p.path, p.message]));
    };
    expect(problems({ category: 'cron-job' })).toEqual({
      'resources.app.schedule':
        'a cron-job needs a schedule, such as "0 3 * * *" (every day at 03:00) or @hourly',
    });
    expect(
      problems({ category: 'cron-job', schedule: 'nightly' })[
        'resources.app.schedule'
      ],
    ).toMatch(/^"nightly" is not a cron schedule: write five fields/);
    expect(
      problems({ category: 'worker', schedule: '@daily', domain: 'web' }),
    ).toEqual({
      'resources.app.schedule':
        'only a cron-job runs on a schedule; this app is a worker: remove schedule, or set category: cron-job',
      'resources.app.domain':
        'only a web-service is served on its own name; this app is a worker, which has no ingress: remove domain, or set category: web-service',
    });
    expect(problems({ category: 'queue' })).toEqual({
      'resources.app.category': expect.stringContaining("'web-service'"),
    });
    const cron = withApp({ category: 'cron-job', schedule: '0 3 * * MON-FRI' });
    expect(cron.valid).toBe(true);
    const app = planStack(
      cron.valid ? cron.spec : (undefined as never),
    ).resources.find(r => r.id === 'app')!;
    expect(app).toMatchObject({
      summary: 'cron job ghcr.io/acme/shop:1.0.0, on schedule 0 3 * * MON-FRI',
      creates: ['namespace', 'secret', 'cronjob'],
    });
    // A stack written before categories is a web service, as it always was.
    const before = validateStackSpec(fullStack);
    expect(before.valid && before.spec.resources.app).toMatchObject({
      category: 'web-service',
    });
  });

  it('reports schema errors with their paths, and unknown fields', () => {
    const result = validateStackSpec({
      name: 'x',
      environment: 'qa',
      owner: 'payments',
      target: { provider: 'aws', accountId: '12', region: 'mars' },
      resources: { network: { cidr: '10.0.0.0/16', subnets: 9 } },
    });
    expect(result.problems.map(p => p.path).sort()).toEqual([
      'environment',
      'owner',
      'resources.network',
      'target.accountId',
      'target.region',
    ]);
    expect(
      result.problems.find(p => p.path === 'target.accountId')?.message,
    ).toBe('must be a 12-digit AWS account id');
    expect(result.problems.find(p => p.path === 'owner')?.message).toMatch(
      /group or user entity ref such as group:default\/payments/,
    );
    expect(
      result.problems.find(p => p.path === 'resources.network')?.message,
    ).toMatch(/unknown field\(s\) subnets/);
  });

  it('reads the deprecated aws section as an AWS target, and refuses a stack with neither or both', () => {
    const { target, ...rest } = fullStack;
    const legacy = validateStackSpec({
      ...rest,
      aws: { accountId: '123456789012', region: 'eu-west-1' },
    });
    expect(legacy.valid && legacy.spec.target).toEqual({
      provider: 'aws',
      accountId: '123456789012',
      region: 'eu-west-1',
    });
    expect(legacy.valid && 'aws' in legacy.spec).toBe(false);
    expect(
      validateStackSpec({ ...rest, aws: { accountId: '1', region: 'x' } })
        .problems.map(p => p.path)
        .sort(),
    ).toEqual(['aws.accountId', 'aws.region']);
    expect(validateStackSpec(rest).problems).toEqual([
      {
        path: 'target',
        message:
          'say where the stack goes, such as target: { provider: aws, accountId: "123456789012", region: us-east-1 }',
      },
    ]);
    expect(
      validateStackSpec({
        ...fullStack,
        aws: { accountId: '123456789012', region: 'us-east-1' },
      }).problems,
    ).toEqual([
      { path: 'aws', message: 'remove it: target says where the stack goes' },
    ]);
    // The provider's schema decides its target's formats.
    expect(
      validateStackSpec({
        ...fullStack,
        target: { ...target, provider: 'gcp' },
      }).problems.map(p => p.path),
    ).toEqual(['target.provider']);
  });

  it('refuses more subnets than the CIDR allows, and ranges a VPC does not accept', () => {
    const at = (cidr: string, availabilityZones: number, natGateways = 0) =>
      validateStackSpec({
        ...fullStack,
        resources: { network: { cidr, availabilityZones, natGateways } },
      }).problems;
    expect(at('10.0.0.0/29', 2)[0].message).toMatch(
      /outside what a VPC accepts/,
    );
    expect(at('10.0.0.0/26', 3)).toEqual([]);
    expect(at('10.0.0.0/26', 3, 1)[0].message).toMatch(
      /cannot hold 6 subnets of at least \/28/,
    );
    expect(at('10.0.0.0/16', 2, 3)[0]).toMatchObject({
      path: 'resources.network.natGateways',
      message: expect.stringMatching(/at most one per zone/),
    });
    expect(at('10.0.0.0/16', 4)[0]).toMatchObject({
      path: 'resources.network.availabilityZones',
    });
  });

  it('requires the resources a resource depends on', () => {
    const result = validateStackSpec({
      ...fullStack,
      resources: { database: {}, app: { image: 'x' } },
    });
    expect(result.problems.map(p => p.path)).toEqual([
      'resources.database',
      'resources.app',
    ]);
  });

  it('sanitizes names to what every cloud service accepts', () => {
    expect(sanitizeName('  My Shop__API!! ')).toBe('my-shop-api');
    expect(sanitizeName('42-things')).toBe('things');
    expect(
      validateStackSpec({ ...fullStack, name: '1234' }).problems[0],
    ).toMatchObject({ path: 'name' });
  });
});

describe('graph and plan', () => {
  const spec = (validateStackSpec(fullStack) as any).spec;

  it('orders resources so the cluster does not wait for the database', () => {
    expect(dependenciesOf(spec, 'cluster')).toEqual(['network']);
    // Generated secrets wait for nothing; the database's password is the database's own.
    expect(dependenciesOf(spec, 'secrets')).toEqual([]);
    expect(dependenciesOf(spec, 'app').sort()).toEqual([
      'cluster',
      'database',
      'secrets',
    ]);
    expect(topologicalOrder(spec)).toEqual([
      'network',
      'secrets',
      'database',
      'cluster',
      'app',
    ]);
    expect(planStack(spec).waves).toEqual([
      ['network', 'secrets'],
      ['database', 'cluster'],
      ['app'],
    ]);
  });

  it('estimates the monthly cost from the price table', () => {
    const plan = planStack(spec);
    const db = plan.resources.find(r => r.id === 'database')!;
    // The instance, its storage and the secret RDS keeps its password in.
    expect(db.monthlyCost).toBeCloseTo(0.032 * 730 + 50 * 0.115 + 0.4, 2);
    const cluster = plan.resources.find(r => r.id === 'cluster')!;
    expect(cluster.monthlyCost).toBeCloseTo(0.1 * 730 + 2 * 0.0416 * 730, 2);
    expect(plan.monthlyCost).toBeCloseTo(
      plan.resources.reduce((s, r) => s + r.monthlyCost, 0),
      2,
    );
  });

  it('resolves output references and names missing ones', () => {
    expect(
      resolveReferences('postgres://${database.endpoint}:${database.port}', {
        database: { endpoint: 'db.local', port: 5432 },
      }),
    ).toBe('postgres://db.local:5432');
    expect(() => resolveReferences('${database.endpoint}', {})).toThrow(
      /database has not produced 'endpoint'/,
    );
  });

  it('splits a CIDR into equal subnets', () => {
    expect(splitCidr('10.0.0.0/16', 3)).toEqual([
      '10.0.0.0/18',
      '10.0.64.0/18',
      '10.0.128.0/18',
    ]);
  });

  it('publishes the spec as JSON Schema', () => {
    expect(stackSpecJsonSchema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining([
        'name',
        'environment',
        'target',
        'resources',
      ]),
      properties: {
        target: {
          required: ['provider', 'accountId', 'region'],
        },
        aws: { deprecated: true },
      },
    });
  });
});

describe('named resources and registered kinds', () => {
  const base = {
    name: 'orders',
    environment: 'dev',
    target: { provider: 'aws', accountId: '123456789012', region: 'us-east-1' },
  };

  it('holds several databases by name, each referenced by name', () => {
    const result = validateStackSpec({
      ...base,
      resources: {
        network: { cidr: '10.0.0.0/16' },
        'orders-db': { kind: 'database', instanceClass: 'db.t4g.small' },
        'analytics-db': { kind: 'database' },
        cluster: {},
        app: {
          image: 'shop:1',
          env: {
            ORDERS: '${orders-db.endpoint}',
            ANALYTICS: '${analytics-db.endpoint}:${analytics-db.port}',
          },
        },
      },
    });
    expect(result.problems).toEqual([]);
    const spec = (result as any).spec;
    expect(spec.resources['orders-db']).toMatchObject({
      kind: 'database',
      instanceClass: 'db.t4g.small',
      storageGb: 20,
    });
    expect(dependenciesOf(spec, 'orders-db')).toEqual(['network']);
    expect(dependenciesOf(spec, 'app').sort()).toEqual([
      'analytics-db',
      'cluster',
      'orders-db',
    ]);
    expect(planStack(spec).waves).toEqual([
      ['network'],
      ['orders-db', 'analytics-db', 'cluster'],
      ['app'],
    ]);
    expect(
      resolveReferences('${orders-db.endpoint}', {
        'orders-db': { endpoint: 'orders.local' },
      }),
    ).toBe('orders.local');
  });

  it('says what to change for unknown kinds, bad names, duplicates and ambiguity', () => {
    const result = validateStackSpec({
      ...base,
      resources: {
        'main-net': { kind: 'network', cidr: '10.0.0.0/16' },
        'edge-net': { kind: 'network', cidr: '10.1.0.0/16' },
        'orders-db': { kind: 'database' },
        cache: {},
        queue: { kind: 'queue' },
        Bad_Name: { kind: 'database' },
        app: { image: 'shop:1', env: { X: '${billing-db.endpoint}' } },
      },
    });
    expect(result.problems).toEqual(
      expect.arrayContaining([
        {
          path: 'resources.cache',
          message: expect.stringMatching(/'cache' is not a kind: add kind/),
        },
        {
          path: 'resources.queue.kind',
          message: expect.stringMatching(
            /unknown kind 'queue': use one of network, database/,
          ),
        },
        {
          path: 'resources.Bad_Name',
          message: expect.stringMatching(/is not a resource name/),
        },
      ]),
    );
    // Field problems come first; fixed, the relations are checked.
    const fixed = validateStackSpec({
      ...base,
      resources: {
        'main-net': { kind: 'network', cidr: '10.0.0.0/16' },
        'edge-net': { kind: 'network', cidr: '10.1.0.0/16' },
        'orders-db': { kind: 'database' },
        app: { image: 'shop:1', env: { X: '${billing-db.endpoint}' } },
      },
    });
    expect(fixed.problems.map(p => `${p.path}: ${p.message}`)).toEqual([
      'resources.main-net: a stack holds one network; it has 2 (main-net, edge-net): keep one',
      'resources.orders-db: a PostgreSQL database needs one network; the stack has 2 (main-net, edge-net): keep one',
      'resources.app: an app on the cluster needs an EKS cluster: add resources.cluster',
      "resources.app.env.X: ${billing-db.endpoint} refers to 'billing-db', which is not a resource of this stack",
    ]);
  });

  it('validates, orders and plans a kind a module registers', () => {
    const queue = defineKind({
      kind: 'queue',
      title: 'a message queue',
      schema: z.object({ fifo: z.boolean().default(false) }).strict(),
      outputs: z.object({ url: z.string() }),
      requires: ['network'],
      plan: q => ({
        summary: q.fifo ? 'FIFO queue' : 'standard queue',
        creates: ['queue'],
        monthlyCost: 1.5,
      }),
      typicalCreateSeconds: 5,
      catalogType: 'aws-sqs-queue',
    });
    const kinds = BUILT_IN_RESOURCE_KINDS.with(queue);
    const input = {
      ...base,
      resources: {
        network: { cidr: '10.0.0.0/16' },
        jobs: { kind: 'queue', fifo: true },
        cluster: {},
        app: { image: 'shop:1', env: { QUEUE: '${jobs.url}' } },
      },
    };
    expect(validateStackSpec(input).problems).toEqual([
      expect.objectContaining({ path: 'resources.jobs.kind' }),
    ]);
    const spec = parseStackSpec(input, kinds);
    const plan = planStack(spec, kinds);
    expect(plan.resources.find(r => r.id === 'jobs')).toMatchObject({
      kind: 'queue',
      dependsOn: ['network'],
      summary: 'FIFO queue',
      typicalCreateSeconds: 5,
      catalogType: 'aws-sqs-queue',
    });
    expect(dependenciesOf(spec, 'app', kinds).sort()).toEqual([
      'cluster',
      'jobs',
    ]);
    expect(() => kinds.with(queue)).toThrow(/registered twice/);
    expect(
      stackSpecJsonSchemaOf(
        kinds,
      ).properties.resources.additionalProperties.anyOf.map(
        (k: { title: string }) => k.title,
      ),
    ).toEqual(['network', 'database', 'secrets', 'cluster', 'app', 'queue']);
  });
});
