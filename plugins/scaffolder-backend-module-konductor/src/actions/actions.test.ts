import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'yaml';
import { Octokit } from '@octokit/rest';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ConfigReader } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { repositoryAvailability } from './githubClient';
import { AddressInfo } from 'node:net';
import type {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import provisioningPlugin from '@konductor/plugin-provisioning-backend';
import {
  awsTargetSchema,
  BUILT_IN_RESOURCE_KINDS,
  ProvisioningClient,
} from '@konductor/plugin-provisioning-common';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  DEFAULT_ORG,
  startSandbox,
  Sandbox,
  SANDBOX_SECRET_ACCESS_KEY,
} from '@konductor/sandbox';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { Entity } from '@backstage/catalog-model';
import {
  BackendProvisioningReporter,
  CloudProvider,
  CloudProviders,
} from '@konductor/plugin-provisioning-node';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { awsProviderFromConfig } from '../awsProviderFromConfig';
import {
  createStackProvisionAction,
  createStackReserveAction,
} from './stackProvision';
import { createStackDestroyAction } from './stackDestroy';
import { createAppRollbackAction } from './appRollback';
import { examples as rollbackExamples } from './appRollback.examples';
import { createGithubRepoProvisionAction } from './githubRepoProvision';
import { createJiraIssueCreateAction, JiraClient } from './jiraIssueCreate';
import { ManualWaits } from '../manualWaits/ManualWaits';
import { resumeManualWaits } from '../manualWaits/resumeManualWaits';
import { createComplianceCheckAction } from './complianceCheck';
import { examples as complianceExamples } from './complianceCheck.examples';
import { examples as stackExamples } from './stackProvision.examples';
import { examples as reserveExamples } from './stackReserve.examples';
import { examples as destroyExamples } from './stackDestroy.examples';
import { examples as githubExamples } from './githubRepoProvision.examples';
import { examples as jiraExamples } from './jiraIssueCreate.examples';

const exec = promisify(execFile);
const inputOf = (example: string) => yaml.parse(example).steps[0].input;

describe("Konductor's scaffolder actions against the sandbox", () => {
  let sandbox: Sandbox;
  let config: ConfigReader;
  let provisioningUrl: string;
  let stopProvisioning: () => Promise<void>;
  /** The provisioning backend (stack owners) as the task's user, as the module wires it. */
  const stacks = (credentials: BackstageCredentials) =>
    new ProvisioningClient({
      discovery: { getBaseUrl: async () => provisioningUrl },
      token: async () =>
        mockCredentials.user.token(
          (credentials.principal as { userEntityRef: string }).userEntityRef,
        ),
    });
  /** The provisioning backend as the platform's service: the stacks' leases, released names. */
  const platform = () =>
    new ProvisioningClient({
      discovery: { getBaseUrl: async () => provisioningUrl },
      token: async () => mockCredentials.service.token(),
    });
  const accounts = [
    { accountId: '123456789012', regions: ['us-east-1', 'eu-west-1'] },
  ];
  /** The stack action as the module wires it (a policy that allows everything). */
  const provisionAction = (
    extra: Partial<Parameters<typeof createStackProvisionAction>[0]> = {},
  ) =>
    createStackProvisionAction({
      providers: new CloudProviders([awsProviderFromConfig(config)]),
      stacks,
      platform: platform(),
      accounts,
      ...extra,
    });

  beforeAll(async () => {
    sandbox = await startSandbox({
      // The image the examples' app deploys, as the service's CI would have pushed it.
      images: ['ghcr.io/acme/shop:1.0.0'],
      // The examples' team.
      githubOrg: {
        ...DEFAULT_ORG,
        teams: [
          ...DEFAULT_ORG.teams,
          { slug: 'payments', name: 'Payments', description: 'Payments.' },
        ],
      },
      durations: {
        vpc: 10,
        rdsInstance: 150,
        rdsInstanceDelete: 50,
        eksCluster: 200,
        eksClusterDelete: 50,
        eksNodegroup: 100,
        eksNodegroupDelete: 50,
        deployment: 80,
      },
    });
    config = new ConfigReader({
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
          pollIntervalSeconds: 0.02,
          // The sandbox has no Lambda: the function's ARN is taken on trust there.
          rotationFunctionName: 'konductor-rotate-secret',
        },
        jira: {
          baseUrl: sandbox.jiraUrl,
          email: 'konductor@localhost',
          token: 'sandbox',
        },
      },
      integrations: {
        github: [
          {
            host: 'github.com',
            apiBaseUrl: sandbox.githubUrl,
            token: 'sandbox-token',
          },
        ],
      },
    });
  });
  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [provisioningPlugin, mockServices.database.factory()],
    });
    provisioningUrl = `http://localhost:${
      (backend.server.address() as AddressInfo).port
    }/api/provisioning`;
    stopProvisioning = () => backend.stop();
  });
  afterAll(() => Promise.all([sandbox.stop(), stopProvisioning()]));

  const inspect = async () =>
    (await (await fetch(`${sandbox.url}/__sandbox/resources`)).json()) as {
      total: number;
      counts: Record<string, number>;
      resources: any[];
    };
  /** A mock context whose task log we can read back. */
  const context = (input: object, extra: object = {}) => {
    const logger = mockServices.logger.mock();
    const ctx = {
      ...createMockActionContext({ input: input as any, logger }),
      ...extra,
    };
    const log = () =>
      [
        ...(logger.info as jest.Mock).mock.calls,
        ...(logger.warn as jest.Mock).mock.calls,
        ...(logger.error as jest.Mock).mock.calls,
      ]
        .map(c => String(c[0]))
        .join('\n');
    return { ctx, log };
  };

  describe('konductor:stack:provision and konductor:stack:destroy', () => {
    it.each(stackExamples.map(e => [e.description, e.example]))(
      'runs the example "%s"',
      async (_, example) => {
        const specs = new Set<unknown>();
        const action = provisionAction({
          reporter: {
            report: run => void specs.add(run.spec),
            flush: async () => {},
          },
        });
        const input = inputOf(example);
        const { ctx, log } = context(input);
        await action.handler(ctx as any);
        // The run carries the spec it made real, defaults applied: the stack's next version.
        expect([...specs]).toEqual([
          expect.objectContaining({
            name: input.name,
            owner: input.owner,
            onFailure: input.onFailure ?? 'rollback',
            resources: expect.objectContaining({
              network: expect.objectContaining({ kind: 'network' }),
            }),
          }),
        ]);
        const outputs = Object.fromEntries(
          (ctx.output as jest.Mock).mock.calls,
        );
        expect(outputs.stackId).toBe(`${input.name}-${input.environment}`);
        expect(outputs.monthlyCost).toBeGreaterThan(0);
        // The secret in which RDS keeps the database's password.
        expect(outputs.databaseSecretArn).toMatch(
          new RegExp(
            `^arn:aws:secretsmanager:${input.target.region}:\\d{12}:secret:rds!db-`,
          ),
        );
        expect(outputs.appUrl).toBe(
          input.resources.app
            ? `https://${input.name}-${input.environment}.apps.konductor.local`
            : undefined,
        );

        // The task log says what happened, and never holds a secret value.
        const secret = await new SecretsManagerClient({
          endpoint: sandbox.url,
          region: input.target.region,
          credentials: {
            accessKeyId: 'AKIA123456789012',
            secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
          },
        }).send(
          new GetSecretValueCommand({ SecretId: outputs.databaseSecretArn }),
        );
        const { password } = JSON.parse(secret.SecretString!);
        expect(log()).toMatch(/database: ready in/);
        expect(log()).not.toContain(password);
        expect(
          JSON.stringify((ctx.output as jest.Mock).mock.calls),
        ).not.toContain(password);
        expect(JSON.stringify([...specs])).not.toContain(password);
      },
    );

    it('refuses a rollback the user may not make, and says why a portal that applies apps through the cluster API cannot make one', async () => {
      const rollback = (permissions: PermissionsService) =>
        createAppRollbackAction({
          providers: new CloudProviders([awsProviderFromConfig(config)]),
          stacks,
          platform: platform(),
          permissions,
          // The catalog's name for the owner the refusal asks about.
          names: async refs => ref =>
            refs.includes(ref) && ref.startsWith('group:') ? 'Shop team' : ref,
        });
      const input = inputOf(rollbackExamples[0].example);
      const denied = context(input);
      await expect(
        rollback(
          mockServices.permissions.mock({
            authorize: async () => [{ result: AuthorizeResult.DENY }],
          }),
        ).handler(denied.ctx as any),
      ).rejects.toThrow(
        'You may not roll back stack shop-dev: it belongs to Shop team, and only its members or a platform admin may change it',
      );
      const direct = context(input);
      await expect(
        rollback(mockServices.permissions()).handler(direct.ctx as any),
      ).rejects.toThrow(
        'app (app) is not delivered by revision on this portal, so it cannot be rolled back: apps are when they go through git (konductor.apps.gitops)',
      );
    });

    it('runs the destroy example, leaving nothing of the stack behind, and reports it as a run', async () => {
      const reported: string[] = [];
      const specs = new Set<unknown>();
      const destroy = createStackDestroyAction({
        providers: new CloudProviders([awsProviderFromConfig(config)]),
        stacks,
        platform: platform(),
        permissions: mockServices.permissions(),
        reporter: {
          report: (run, event) => {
            specs.add(run.spec);
            reported.push(
              `${run.stackId} ${event.resource ?? 'run'} ${event.status}`,
            );
          },
          flush: async () => {},
        },
      });
      const { ctx } = context(inputOf(destroyExamples[0].example));
      await destroy.handler(ctx as any);
      expect((ctx.output as jest.Mock).mock.calls).toEqual([
        ['deleted', ['app', 'cluster', 'database', 'secrets', 'network']],
      ]);
      // The runs backend learns the stack is gone (the catalog then drops its entities).
      expect(reported).toEqual(
        expect.arrayContaining([
          'shop-dev run run-started',
          'shop-dev network deleted',
          'shop-dev run run-succeeded',
        ]),
      );
      // A destroy makes no desired state: it records no version of the stack.
      expect([...specs]).toEqual([undefined]);
      const left = (await inspect()).resources.filter(
        r =>
          r.tags?.['konductor:stack'] === 'shop-dev' ||
          String(r.id).includes('shop-dev'),
      );
      expect(left).toEqual([]);
      // The name is free again, for anyone.
      expect(
        await stacks(mockCredentials.user()).stackAvailability({
          accountId: '123456789012',
          region: 'us-east-1',
          name: 'shop',
          environment: 'dev',
          owner: 'group:default/team-b',
        }),
      ).toEqual({ stackId: 'shop-dev', available: true });
    });

    it("gives a new stack its expiry when it claims it, refusing one past the platform's maximum before any cloud call, and keeps the expiry out of the desired state", async () => {
      const reporter = new BackendProvisioningReporter({
        client: platform(),
        logger: mockServices.logger.mock(),
      });
      const action = provisionAction({ reporter });
      const input = { ...inputOf(stackExamples[1].example), name: 'expiring' };
      const key = {
        accountId: input.target.accountId,
        region: input.target.region,
        stackId: 'expiring-staging',
      };
      const inDays = (n: number) =>
        new Date(Date.now() + n * 24 * 3600_000).toISOString();
      const before = await inspect();
      const refused = await action
        .handler(
          context(
            { ...input, expiresAt: inDays(40) },
            { task: { id: 'expiry-1' } },
          ).ctx as any,
        )
        .catch(e => e);
      expect(refused.message).toMatch(
        /^The expiry .* is more than 30 days away \(the platform's maximum\): choose a date before /,
      );
      expect(await inspect()).toEqual(before);
      await expect(platform().getStackVersions(key)).rejects.toMatchObject({
        statusCode: 404,
      });

      const expiresAt = inDays(3);
      await action.handler(
        context({ ...input, expiresAt }, { task: { id: 'expiry-2' } })
          .ctx as any,
      );
      expect((await platform().getStack(key)).expiresAt).toBe(expiresAt);
      const [version] = (await platform().getStackVersions(key)).items;
      expect(version.spec).not.toHaveProperty('expiresAt');

      await createStackDestroyAction({
        providers: new CloudProviders([awsProviderFromConfig(config)]),
        stacks,
        platform: platform(),
        permissions: mockServices.permissions(),
      }).handler(
        context(
          { name: 'expiring', environment: 'staging', target: input.target },
          { task: { id: 'expiry-3' } },
        ).ctx as any,
      );
    }, 60_000);

    it('plans a change of an existing stack against its recorded version, makes it, and refuses one it cannot make before anything changes', async () => {
      // Runs reported to the provisioning backend, which records each succeeded run's spec.
      const reporter = new BackendProvisioningReporter({
        client: platform(),
        logger: mockServices.logger.mock(),
      });
      const action = provisionAction({ reporter });
      const input = { ...inputOf(stackExamples[1].example), name: 'changing' };
      const run = async (
        taskId: string,
        database: object,
        extra: object = {},
      ) => {
        const c = context(
          {
            ...input,
            resources: {
              ...input.resources,
              database: { ...input.resources.database, ...database },
            },
          },
          { task: { id: taskId }, ...extra },
        );
        await action.handler(c.ctx as any);
        return {
          ...c,
          outputs: Object.fromEntries((c.ctx.output as jest.Mock).mock.calls),
        };
      };
      const first = await run('change-1', {});
      // A new stack has no version to change.
      expect(first.outputs.changes).toBeUndefined();

      const bigger = { instanceClass: 'db.t4g.small', storageGb: 200 };
      const dry = await run('change-2', bigger, { isDryRun: true });
      const database = dry.outputs.changes.resources.find(
        (r: any) => r.resource === 'database',
      );
      expect(database).toMatchObject({
        action: 'update',
        interrupts: true,
        changes: [
          {
            path: 'instanceClass',
            before: 'db.t4g.micro',
            after: 'db.t4g.small',
          },
          { path: 'storageGb', before: 100, after: 200 },
        ],
      });
      expect(dry.outputs.changes.fromVersion).toBe(1);
      expect(dry.outputs.changes.monthlyCostAfter).toBeGreaterThan(
        dry.outputs.changes.monthlyCostBefore,
      );
      expect(dry.log()).toContain(
        'database: update in place (instanceClass db.t4g.micro -> db.t4g.small, storageGb 100 -> 200), interrupts service',
      );

      // Applied: the database has the new size, and the stack a second version.
      await run('change-3', bigger);
      const rds = new RDSClient({
        endpoint: sandbox.url,
        region: input.target.region,
        credentials: {
          accessKeyId: 'AKIA123456789012',
          secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
        },
      });
      const describe = async () =>
        (
          await rds.send(
            new DescribeDBInstancesCommand({
              DBInstanceIdentifier: 'changing-staging-db',
            }),
          )
        ).DBInstances![0];
      expect(await describe()).toMatchObject({
        DBInstanceClass: 'db.t4g.small',
        AllocatedStorage: 200,
      });
      const key = {
        accountId: input.target.accountId,
        region: input.target.region,
        stackId: 'changing-staging',
      };
      const { items } = await platform().getStackVersions(key);
      expect(items.map(v => v.version)).toEqual([2, 1]);

      // Storage cannot shrink: refused before anything is changed, and no version is recorded.
      const before = await inspect();
      const refused = await run('change-4', {
        instanceClass: 'db.t4g.medium',
        storageGb: 100,
      }).catch(e => e);
      expect(refused.name).toBe('InputError');
      expect(refused.message).toBe(
        'Refused before anything is changed: resources.database.storageGb: RDS can only grow storage',
      );
      expect(await inspect()).toEqual(before);
      expect((await describe()).DBInstanceClass).toBe('db.t4g.small');
      expect((await platform().getStackVersions(key)).items).toHaveLength(2);

      // Destroyed, the stack's versions go with it (and its VPC frees the region's quota).
      await createStackDestroyAction({
        providers: new CloudProviders([awsProviderFromConfig(config)]),
        stacks,
        platform: platform(),
        permissions: mockServices.permissions(),
      }).handler(
        context(
          { name: 'changing', environment: 'staging', target: input.target },
          { task: { id: 'change-5' } },
        ).ctx as any,
      );
      await expect(platform().getStackVersions(key)).rejects.toMatchObject({
        statusCode: 404,
      });
      // Four runs and a destroy against the sandbox: seconds on a busy machine.
    }, 60_000);

    it('refuses a stack whose name another group owns, naming the owner, before any cloud call', async () => {
      const input = { ...inputOf(stackExamples[1].example), name: 'contested' };
      await stacks(mockCredentials.user('user:default/alice')).claimStack({
        accountId: input.target.accountId,
        region: input.target.region,
        name: input.name,
        environment: input.environment,
        owner: 'group:default/team-b',
      });
      const before = await inspect();
      const { ctx } = context(input);
      const error = await provisionAction()
        .handler(ctx as any)
        .catch(e => e);
      expect(error.name).toBe('ConflictError');
      expect(error.message).toBe(
        'Stack contested-staging in account 123456789012 (eu-west-1) belongs to group:default/team-b, not group:default/team-a: choose another name, or ask group:default/team-b to change it',
      );
      expect(await inspect()).toEqual(before);
      // The form's preview (a dry-run) says so too, without failing.
      const dry = context(input, { isDryRun: true });
      await provisionAction().handler(dry.ctx as any);
      expect(
        Object.fromEntries((dry.ctx.output as jest.Mock).mock.calls).ownership,
      ).toMatchObject({ available: false, owner: 'group:default/team-b' });
    });

    it('refuses a second run of a stack while another run holds its lease, before any cloud call', async () => {
      const input = { ...inputOf(stackExamples[1].example), name: 'leased' };
      const stack = {
        accountId: input.target.accountId,
        region: input.target.region,
        stackId: 'leased-staging',
      };
      await stacks(mockCredentials.user()).claimStack({
        accountId: stack.accountId,
        region: stack.region,
        name: 'leased',
        environment: 'staging',
        owner: 'group:default/team-a',
      });
      const lease = await platform().acquireStackLease(stack, {
        holder: 'another-task_leased-staging',
        ttlSeconds: 60,
      });
      const before = await inspect();
      const error = await provisionAction()
        .handler(context(input).ctx as any)
        .catch(e => e);
      expect(error.name).toBe('ConflictError');
      expect(error.message).toBe(
        `Stack leased-staging is being worked on by run another-task_leased-staging (its lease runs until ${lease.expiresAt}): wait for that run to end, then try again`,
      );
      expect(await inspect()).toEqual(before);
      // Once that run gives the stack up, this one provisions it, and gives it up in turn.
      await platform().releaseStackLease(stack, 'another-task_leased-staging');
      await provisionAction().handler(context(input).ctx as any);
      expect(
        await platform().acquireStackLease(stack, {
          holder: 'a-third-task_leased-staging',
          ttlSeconds: 60,
        }),
      ).toMatchObject({ holder: 'a-third-task_leased-staging' });
    });

    it('runs one of two simultaneous requests for a new stack and refuses the other: one network, nothing deleted', async () => {
      const input = { ...inputOf(stackExamples[1].example), name: 'pair' };
      const results = await Promise.allSettled(
        // Two tasks, so two runs.
        ['task-a', 'task-b'].map(id =>
          provisionAction().handler(
            context(input, { task: { id } }).ctx as any,
          ),
        ),
      );
      expect(results.map(r => r.status).sort()).toEqual([
        'fulfilled',
        'rejected',
      ]);
      const refused = results.find(r => r.status === 'rejected') as
        | PromiseRejectedResult
        | undefined;
      expect(refused?.reason.name).toBe('ConflictError');
      expect(refused?.reason.message).toMatch(
        /^Stack pair-staging is being worked on by run /,
      );
      const { resources } = await inspect();
      const vpcs = resources.filter(
        r => r.type === 'vpc' && r.tags?.['konductor:stack'] === 'pair-staging',
      );
      expect(vpcs).toHaveLength(1);
      expect(vpcs[0].phase).not.toBe('gone');
    });

    it('refuses a second place for a stack name in one task, before any check or cloud call', async () => {
      // The scaffolder's checkpoints: kept across the steps of one task.
      const saved = new Map<string, unknown>();
      const checkpoint = async ({ key, fn }: any) => {
        if (!saved.has(key)) saved.set(key, await fn());
        return saved.get(key);
      };
      const input = {
        ...inputOf(stackExamples[1].example),
        name: 'twice',
        resources: { network: { cidr: '10.30.0.0/16' } },
      };
      await provisionAction().handler(
        context(input, { checkpoint }).ctx as any,
      );
      // The stack's cloud resources, wherever they are (the sandbox is shared by the file's tests).
      const ofTwice = async () =>
        (await inspect()).resources
          .filter(r => JSON.stringify(r.tags ?? {}).includes('twice-staging'))
          .map(r => `${r.region} ${r.service}/${r.type} ${r.id} ${r.phase}`)
          .sort();
      const before = await ofTwice();
      expect(before.length).toBeGreaterThan(0);
      const elsewhere = { ...input.target, region: 'us-east-1' };
      const refusal =
        'This task already works on stack twice-staging in account 123456789012, eu-west-1, so it cannot also work on it in 123456789012, us-east-1';
      const provision = await provisionAction()
        .handler(
          context({ ...input, target: elsewhere }, { checkpoint }).ctx as any,
        )
        .catch(e => e);
      expect(provision).toMatchObject({ name: 'InputError' });
      expect(provision.message).toContain(refusal);
      const destroy = await createStackDestroyAction({
        providers: new CloudProviders([awsProviderFromConfig(config)]),
        stacks: () => stacks(mockCredentials.user()),
        platform: platform(),
        permissions: mockServices.permissions(),
      })
        .handler(
          context(
            { name: 'twice', environment: 'staging', target: elsewhere },
            { checkpoint },
          ).ctx as any,
        )
        .catch(e => e);
      expect(destroy.message).toContain(refusal);
      // Nothing was created or deleted in either place.
      expect(await ofTwice()).toEqual(before);
    });

    it("resumes a task after the user's token expired: the claim and the authorization are checkpoints", async () => {
      // The scaffolder's checkpoints: kept across attempts of one task.
      const saved = new Map<string, unknown>();
      const checkpoint = async ({ key, fn }: any) => {
        if (!saved.has(key)) saved.set(key, await fn());
        return saved.get(key);
      };
      const input = { ...inputOf(stackExamples[1].example), name: 'resumed' };
      await provisionAction().handler(
        context(input, { checkpoint }).ctx as any,
      );
      // The backend restarted hours later: the stored user token no longer authenticates.
      const expired = () =>
        new ProvisioningClient({
          discovery: { getBaseUrl: async () => provisioningUrl },
          token: async () => mockCredentials.user.invalidToken(),
        });
      await expect(
        expired().claimStack({
          accountId: input.target.accountId,
          region: input.target.region,
          name: 'resumed',
          environment: 'staging',
          owner: 'group:default/team-a',
        }),
      ).rejects.toMatchObject({ statusCode: 401 });
      await provisionAction({ stacks: expired }).handler(
        context(input, { checkpoint }).ctx as any,
      );
      const destroy = (
        asUser: typeof expired,
        provider: CloudProvider = awsProviderFromConfig(config),
      ) =>
        createStackDestroyAction({
          providers: new CloudProviders([provider]),
          stacks: asUser,
          platform: platform(),
          permissions: mockServices.permissions(),
        }).handler(
          context(
            {
              name: 'resumed',
              environment: 'staging',
              target: input.target,
            },
            { checkpoint },
          ).ctx as any,
        );
      // A destroy whose backend dies once it is authorized, before anything is deleted...
      const dying: CloudProvider = {
        ...awsProviderFromConfig(config),
        id: 'aws',
        create: async () => ({}),
        exists: async () => true,
        destroy: async () => {
          throw new Error('the backend was killed');
        },
      };
      await expect(
        destroy(() => stacks(mockCredentials.user()), dying),
      ).rejects.toThrow(/not fully destroyed/);
      // ...is resumed later, with the user's token expired, and finishes.
      await destroy(expired);
      expect(
        (await inspect()).resources.filter(
          r => r.tags?.['konductor:stack'] === 'resumed-staging',
        ),
      ).toEqual([]);
    });

    it('runs the reserve example: the reserve step claims the stack and creates nothing; the provision step takes the claim over and creates it', async () => {
      const steps = yaml.parse(reserveExamples[0].example).steps;
      const saved = new Map<string, unknown>();
      const checkpoint = async ({ key, fn }: any) => {
        if (!saved.has(key)) saved.set(key, await fn());
        return saved.get(key);
      };
      const input = steps[0].input;
      const tagged = async () =>
        (await inspect()).resources.filter(
          r => r.tags?.['konductor:stack'] === 'ledger-staging',
        );
      const reserve = context(input, { checkpoint });
      await createStackReserveAction({
        providers: new CloudProviders([awsProviderFromConfig(config)]),
        stacks,
        platform: platform(),
        accounts,
      }).handler(reserve.ctx as any);
      expect(reserve.log()).toContain(
        'Stack ledger-staging is reserved for group:default/team-a: the provision step creates it',
      );
      expect(await tagged()).toEqual([]);
      const claimed = await platform().getStack({
        accountId: '123456789012',
        region: 'us-east-1',
        stackId: 'ledger-staging',
      });
      expect(claimed.owner).toBe('group:default/team-a');

      // The provision step, with the same input, later in the task: the claim is not asked again.
      expect(steps[2].input).toEqual(input);
      const claims = [...saved.keys()];
      await provisionAction().handler(
        context(steps[2].input, { checkpoint }).ctx as any,
      );
      expect([...saved.keys()].slice(0, claims.length)).toEqual(claims);
      expect((await tagged()).map(r => r.type)).toEqual(
        expect.arrayContaining(['vpc', 'db-instance']),
      );
    });

    it('fails closed without configured accounts, and refuses a level below the environment minimum', async () => {
      const before = (await inspect()).total;
      const closed = await provisionAction({ accounts: undefined })
        .handler(context(inputOf(stackExamples[0].example)).ctx as any)
        .catch(e => e);
      expect(closed.message).toMatch(
        /target: this portal has no aws accounts to provision in \(konductor.provisioning.accounts\)/,
      );
      const low = await provisionAction({ minimumLevels: { prod: 'moderate' } })
        .handler(
          context({
            ...inputOf(stackExamples[0].example),
            environment: 'prod',
            complianceLevel: 'low',
          }).ctx as any,
        )
        .catch(e => e);
      expect(low.name).toBe('InputError');
      expect(low.message).toBe(
        'complianceLevel: prod stacks must be checked at moderate or above (konductor.compliance.minimumLevels), not low: choose moderate or high',
      );
      const noOwner = await provisionAction()
        .handler(
          context({ ...inputOf(stackExamples[0].example), owner: undefined })
            .ctx as any,
        )
        .catch(e => e);
      expect(noOwner.message).toMatch(
        /owner: name the group that owns the stack/,
      );
      expect((await inspect()).total).toBe(before);
    });

    it('returns the plan and cost in dry-run without any cloud call', async () => {
      const calls: string[] = [];
      const refusing: CloudProvider = {
        id: 'aws',
        target: awsTargetSchema,
        kinds: BUILT_IN_RESOURCE_KINDS,
        create: async ctx => {
          calls.push(`create ${ctx.name}`);
          throw new Error('no cloud call in dry-run');
        },
        exists: async ctx => {
          calls.push(`exists ${ctx.name}`);
          return false;
        },
        destroy: async ctx => {
          calls.push(`destroy ${ctx.name}`);
          return { kept: [] };
        },
      };
      const { ctx, log } = context(inputOf(stackExamples[0].example), {
        isDryRun: true,
      });
      await provisionAction({
        providers: new CloudProviders([refusing]),
      }).handler(ctx as any);
      expect(calls).toEqual([]);
      const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
      expect(outputs.plan.waves).toEqual([
        ['network', 'secrets'],
        ['database', 'cluster'],
        ['app'],
      ]);
      expect(outputs.monthlyCost).toBeCloseTo(
        outputs.plan.resources.reduce(
          (s: number, r: any) => s + r.monthlyCost,
          0,
        ),
        2,
      );
      expect(log()).toMatch(/estimated \$\d+\.\d\d\/month/);
    });

    it('refuses what the provider knows it cannot create before the stack is claimed, and shows it in dry-run', async () => {
      const calls: string[] = [];
      const secretless: CloudProvider = {
        id: 'aws',
        target: awsTargetSchema,
        kinds: BUILT_IN_RESOURCE_KINDS,
        preflight: ctx => {
          if (ctx.name === 'app')
            throw new Error(
              'resources.app.secretEnv: this portal has no IAM role for apps to read their secrets with',
            );
        },
        create: async ctx => {
          calls.push(`create ${ctx.name}`);
          return {};
        },
        exists: async () => false,
        destroy: async () => ({ kept: [] }),
      };
      const input = {
        ...inputOf(stackExamples[0].example),
        name: 'nosecrets',
      };
      const dry = context(input, { isDryRun: true });
      await provisionAction({
        providers: new CloudProviders([secretless]),
      }).handler(dry.ctx as any);
      const outputs = Object.fromEntries(
        (dry.ctx.output as jest.Mock).mock.calls,
      );
      expect(outputs.preflight).toEqual([
        'resources.app.secretEnv: this portal has no IAM role for apps to read their secrets with',
      ]);
      expect(dry.log()).toContain(
        'Refused before anything is created: resources.app.secretEnv: this portal has no IAM role',
      );
      const { ctx } = context(input);
      await expect(
        provisionAction({
          providers: new CloudProviders([secretless]),
        }).handler(ctx as any),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(/^Refused before anything is created: /),
      });
      expect(calls).toEqual([]);
      // Nobody claimed the name.
      await expect(
        platform().getStack({
          accountId: input.target.accountId,
          region: input.target.region,
          stackId: `nosecrets-${input.environment}`,
        }),
      ).rejects.toMatchObject({ response: { status: 404 } });
    });

    it('reads a stack written with the deprecated aws section as an AWS target, and says to write target', async () => {
      const { target, ...rest } = inputOf(stackExamples[0].example);
      const { ctx, log } = context(
        {
          ...rest,
          aws: { accountId: target.accountId, region: target.region },
        },
        { isDryRun: true },
      );
      await provisionAction().handler(ctx as any);
      const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
      expect(outputs.plan.region).toBe(target.region);
      expect(outputs.ownership.available).toBe(true);
      expect(log()).toContain(
        `aws is deprecated: write target: { provider: aws, accountId: "${target.accountId}", region: ${target.region} } instead`,
      );
    });

    it('refuses bad input with every problem named, before anything is created', async () => {
      const before = (await inspect()).total;
      const input = inputOf(stackExamples[0].example);
      input.resources.network.cidr = '10.0.0.0/33';
      input.resources.cluster.minNodes = 5;
      const { ctx } = context(input);
      const error = await provisionAction()
        .handler(ctx as any)
        .catch(e => e);
      expect(error.name).toBe('InputError');
      expect(error.message).toMatch(
        /resources\.network\.cidr: "10\.0\.0\.0\/33" is not an IPv4 network/,
      );
      expect(error.message).toMatch(
        /resources\.cluster\.minNodes: minNodes \(5\) is above maxNodes \(3\)/,
      );
      expect((await inspect()).total).toBe(before);
    });

    it('refuses an account or region the portal does not provision in', async () => {
      const before = (await inspect()).total;
      const run = (where: object) => {
        const { ctx } = context({
          ...inputOf(stackExamples[0].example),
          target: { provider: 'aws', ...where },
        });
        return provisionAction({
          accounts: [{ accountId: '123456789012', regions: ['eu-west-1'] }],
        })
          .handler(ctx as any)
          .catch(e => e);
      };
      expect(
        (await run({ accountId: '999999999999', region: 'eu-west-1' })).message,
      ).toBe(
        'target.accountId: 999999999999 is not an account this portal provisions in on aws (konductor.provisioning.accounts): use 123456789012',
      );
      expect(
        (await run({ accountId: '123456789012', region: 'us-east-1' })).message,
      ).toBe(
        'target.region: us-east-1 is not a region of account 123456789012 this portal provisions in: use eu-west-1',
      );
      expect((await inspect()).total).toBe(before);
    });
  });

  describe('the compliance gate: konductor:compliance:check and konductor:stack:provision', () => {
    /** The destroy example's stack, made to break the moderate level in prod. */
    const nonCompliant = () => ({
      ...inputOf(complianceExamples[0].example),
      name: 'lax',
      resources: {
        network: { cidr: '10.9.0.0/16' },
        database: { backupRetentionDays: 3, passwordRotationDays: 120 },
        secrets: { generated: ['SESSION_KEY'] },
      },
    });

    it('passes the example and reports every check it ran', async () => {
      const { ctx, log } = context(inputOf(complianceExamples[0].example));
      await createComplianceCheckAction({
        providers: new CloudProviders([awsProviderFromConfig(config)]),
      }).handler(ctx as any);
      const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
      expect(outputs.allowed).toBe(true);
      expect(outputs.violations).toEqual([]);
      expect(outputs.checks.map((c: any) => c.status)).not.toContain('fail');
      expect(log()).toMatch(/Compliance \(moderate, prod\): \d+ pass/);
    });

    it('refuses a non-compliant stack with every field to change, and so does the stack action, before any cloud call', async () => {
      const before = (await inspect()).total;
      const check = await createComplianceCheckAction({
        providers: new CloudProviders([awsProviderFromConfig(config)]),
      })
        .handler(context(nonCompliant()).ctx as any)
        .catch(e => e);
      expect(check.name).toBe('InputError');
      for (const text of [
        'The stack breaks the moderate compliance level in prod',
        'resources.database.backupRetentionDays: Backups kept 3 days; moderate requires at least 7.',
        'resources.database.multiAz: Single availability zone.',
        'resources.database.deletionProtection: Deletion protection off.',
        'resources.database.passwordRotationDays: Rotated every 120 days; moderate allows at most 90.',
        'resources.secrets.rotationDays: Rotation off; moderate requires at most 90 days.',
      ])
        expect(check.message).toContain(text);

      // A template without the check step cannot bypass the gate.
      const provision = await provisionAction()
        .handler(context(nonCompliant()).ctx as any)
        .catch(e => e);
      expect(provision.name).toBe('InputError');
      expect(provision.message).toBe(check.message);
      expect((await inspect()).total).toBe(before);

      // In dry-run the stack action reports the verdict with the plan instead.
      const dry = context(nonCompliant(), { isDryRun: true });
      await provisionAction().handler(dry.ctx as any);
      const outputs = Object.fromEntries(
        (dry.ctx.output as jest.Mock).mock.calls,
      );
      expect(outputs.compliance).toMatchObject({
        allowed: false,
        level: 'moderate',
      });
      expect(outputs.compliance.violations).toHaveLength(5);
      expect(outputs.monthlyCost).toBeGreaterThan(0);
    });
  });

  describe('konductor:github:repo:provision', () => {
    const group = (name: string, team?: string): Entity => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: {
        name,
        ...(team && { annotations: { 'github.com/team-slug': team } }),
      },
      spec: { type: 'team', children: [] },
    });
    // Groups as the GitHub org provider imports them (with their team), and one from a file.
    const catalog = catalogServiceMock({
      entities: [
        group('payments', 'acme/payments'),
        group('globex-ops', 'globex/ops'),
        group('readers'),
      ],
    });
    const action = () =>
      createGithubRepoProvisionAction({
        integrations: ScmIntegrations.fromConfig(config),
        catalog,
        author: { name: 'Konductor', email: 'konductor@localhost' },
      });
    const octokit = () =>
      new Octokit({
        baseUrl: sandbox.githubUrl,
        auth: 't',
        // The tests expect some 404s; Octokit would log each as an error.
        log: { debug() {}, info() {}, warn() {}, error() {} },
      });
    const workspace = () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-ws-'));
      fs.writeFileSync(path.join(dir, 'index.js'), 'console.log("shop")\n');
      return dir;
    };

    it('runs the example: repository created, pushed, clonable, with the compliance baseline', async () => {
      const { ctx } = context(inputOf(githubExamples[0].example), {
        workspacePath: workspace(),
      });
      await action().handler(ctx as any);
      const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
      expect(outputs).toMatchObject({
        created: true,
        remoteUrl: `${sandbox.url}/git/acme/shop.git`,
        repoContentsUrl: expect.stringMatching(/\/blob\/main$/),
      });

      const clone = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-clone-'));
      // A private repository: cloned with a token, as on GitHub.
      await exec('git', [
        'clone',
        '-q',
        outputs.remoteUrl.replace('://', '://x-access-token:t@'),
        clone,
      ]);
      expect(fs.readFileSync(path.join(clone, 'index.js'), 'utf8')).toContain(
        'shop',
      );
      expect(
        fs.readFileSync(path.join(clone, '.github', 'CODEOWNERS'), 'utf8'),
      ).toContain('* @acme/payments');

      const gh = octokit();
      const protection = (
        await gh.rest.repos.getBranchProtection({
          owner: 'acme',
          repo: 'shop',
          branch: 'main',
        })
      ).data;
      expect(protection).toMatchObject({
        required_pull_request_reviews: {
          required_approving_review_count: 2,
          require_code_owner_reviews: true,
        },
        required_status_checks: { contexts: ['ci'] },
        allow_force_pushes: { enabled: false },
      });
      expect(
        (await gh.rest.repos.get({ owner: 'acme', repo: 'shop' })).data
          .security_and_analysis,
      ).toMatchObject({
        secret_scanning: { status: 'enabled' },
        secret_scanning_push_protection: { status: 'enabled' },
      });
      expect(
        (
          await gh.rest.repos.checkVulnerabilityAlerts({
            owner: 'acme',
            repo: 'shop',
          })
        ).status,
      ).toBe(204);
      expect(
        (await gh.rest.repos.listTeams({ owner: 'acme', repo: 'shop' })).data,
      ).toEqual([
        expect.objectContaining({ slug: 'payments', permission: 'maintain' }),
      ]);
    });

    it('adopts an existing empty repository, and refuses one that has content', async () => {
      await octokit().rest.repos.createInOrg({ org: 'acme', name: 'empty' });
      const { ctx } = context(
        {
          repoUrl: 'github.com?owner=acme&repo=empty',
          ownerTeam: 'group:default/payments',
        },
        { workspacePath: workspace() },
      );
      await action().handler(ctx as any);
      expect(
        Object.fromEntries((ctx.output as jest.Mock).mock.calls).created,
      ).toBe(false);

      const again = context(
        { repoUrl: 'github.com?owner=acme&repo=shop' },
        { workspacePath: workspace() },
      );
      const error = await action()
        .handler(again.ctx as any)
        .catch(e => e);
      expect(error.name).toBe('ConflictError');
      expect(error.message).toMatch(
        /acme\/shop already exists and is not empty: choose another name/,
      );
    });

    it("gives the repository to the owner group's GitHub team, and refuses an owner that is none before creating anything", async () => {
      const refusal = async (ownerTeam: string, repo: string) => {
        const { ctx } = context(
          { repoUrl: `github.com?owner=acme&repo=${repo}`, ownerTeam },
          { workspacePath: workspace() },
        );
        const error = await action()
          .handler(ctx as any)
          .catch(e => e);
        await expect(
          octokit().rest.repos.get({ owner: 'acme', repo }),
        ).rejects.toMatchObject({ status: 404 });
        expect(error.name).toBe('InputError');
        return error.message;
      };
      expect(await refusal('group:default/readers', 'r1')).toBe(
        'ownerTeam: group:default/readers is not a GitHub team (it has no github.com/team-slug annotation, which the GitHub org provider writes on the teams it imports), so it can be given neither the repository nor its CODEOWNERS: choose a group imported from the acme organisation, or leave ownerTeam out',
      );
      expect(await refusal('group:default/globex-ops', 'r2')).toBe(
        'ownerTeam: group:default/globex-ops is the GitHub team globex/ops, not a team of acme, where the repository is created: choose a group of the acme organisation',
      );
      expect(await refusal('group:default/nobody', 'r3')).toBe(
        'ownerTeam: group:default/nobody is not in the catalog: choose a group that is',
      );
      expect(await refusal('user:default/alice', 'r4')).toMatch(
        /^ownerTeam: user:default\/alice is not a group/,
      );
      expect(await refusal('ghosts', 'r5')).toBe(
        'ownerTeam: the acme organisation has no GitHub team "ghosts": name one of its teams',
      );

      // A group that is one of the organisation's teams: its team gets the repository.
      const { ctx } = context(
        {
          repoUrl: 'github.com?owner=acme&repo=ledger',
          ownerTeam: 'group:default/payments',
        },
        { workspacePath: workspace() },
      );
      await action().handler(ctx as any);
      expect(
        (
          await octokit().rest.repos.listTeams({
            owner: 'acme',
            repo: 'ledger',
          })
        ).data,
      ).toEqual([
        expect.objectContaining({ slug: 'payments', permission: 'maintain' }),
      ]);
    });

    it('refuses to push an empty workspace (a task resumed without its workspace), saying what to configure', async () => {
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-ws-'));
      const { ctx } = context(
        { repoUrl: 'github.com?owner=acme&repo=hollow' },
        { workspacePath: empty },
      );
      const error = await action()
        .handler(ctx as any)
        .catch(e => e);
      expect(error.name).toBe('InputError');
      expect(error.message).toMatch(
        /workspace \(\.\) is empty, so there is nothing to push to acme\/hollow: .*scaffolder\.taskRecovery\.workspaceProvider/,
      );
      // The repository exists (created first) but holds nothing: starting again adopts it.
      const retry = context(
        { repoUrl: 'github.com?owner=acme&repo=hollow' },
        { workspacePath: workspace() },
      );
      await action().handler(retry.ctx as any);
      expect(
        Object.fromEntries((retry.ctx.output as jest.Mock).mock.calls).created,
      ).toBe(false);
    });

    it('refuses a sourcePath outside the task workspace before creating anything', async () => {
      const { ctx } = context(
        { repoUrl: 'github.com?owner=acme&repo=escape', sourcePath: '../..' },
        { workspacePath: workspace() },
      );
      const error = await action()
        .handler(ctx as any)
        .catch(e => e);
      expect(error.name).toBe('InputError');
      expect(error.message).toBe(
        `sourcePath: "../.." leads outside the task's workspace: use a folder inside it, such as . or ./service`,
      );
      await expect(
        octokit().rest.repos.get({ owner: 'acme', repo: 'escape' }),
      ).rejects.toMatchObject({ status: 404 });
    });

    it('names what to change when the host has no integration', async () => {
      const { ctx } = context(
        { repoUrl: 'gitlab.example.com?owner=acme&repo=x' },
        { workspacePath: workspace() },
      );
      await expect(action().handler(ctx as any)).rejects.toThrow(
        /gitlab\.example\.com/,
      );
    });

    describe("the repository name field's availability check", () => {
      const check = (repoUrl: string) => {
        const integrations = ScmIntegrations.fromConfig(config);
        return repositoryAvailability(
          integrations,
          DefaultGithubCredentialsProvider.fromIntegrations(integrations),
        )({ resource: 'repository-availability', context: { repoUrl } });
      };

      it('says whether a name is free, taken or breaks the naming rules', async () => {
        await octokit().rest.repos.createInOrg({ org: 'acme', name: 'taken' });
        expect(await check('github.com?owner=acme&repo=taken')).toEqual({
          results: [{ id: 'taken', title: 'acme/taken already exists' }],
        });
        expect(await check('github.com?owner=acme&repo=brand-new')).toEqual({
          results: [{ id: 'available', title: 'acme/brand-new is available' }],
        });
        expect(await check('github.com?owner=acme&repo=a%20b')).toEqual({
          results: [
            {
              id: 'invalid',
              title:
                'repoUrl: the repository name "a b": only letters, digits, ".", "-" and "_"',
            },
          ],
        });
      });

      it('is checked again by the action, before any repository is created', async () => {
        const { ctx } = context(
          { repoUrl: 'github.com?owner=acme&repo=shop.git' },
          { workspacePath: workspace() },
        );
        await expect(action().handler(ctx as any)).rejects.toThrow(
          'must not end in .git',
        );
        await expect(
          octokit().rest.repos.get({ owner: 'acme', repo: 'shop.git' }),
        ).rejects.toMatchObject({ status: 404 });
      });
    });
  });

  describe('konductor:jira:issue:create', () => {
    const databases = TestDatabases.create({
      ids: ['SQLITE_3'],
      disableDocker: true,
    });
    const action = () =>
      createJiraIssueCreateAction({ jira: JiraClient.fromConfig(config) });

    it('runs the first example: the ticket exists in Jira with the rendered fields', async () => {
      const { ctx } = context(inputOf(jiraExamples[0].example));
      await action().handler(ctx as any);
      const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
      expect(outputs.issueKey).toMatch(/^PLAT-\d+$/);
      expect(outputs.issueUrl).toBe(
        `${sandbox.jiraUrl}/browse/${outputs.issueKey}`,
      );
      expect(outputs.status).toBe('To Do');
      const issue = await (
        await fetch(`${sandbox.jiraUrl}/rest/api/3/issue/${outputs.issueKey}`, {
          headers: { authorization: 'Bearer t' },
        })
      ).json();
      expect(issue.fields).toMatchObject({
        summary: 'PostgreSQL database for billing',
        issuetype: { name: 'Service Request' },
        labels: ['konductor'],
      });
      expect(issue.fields.description.content).toHaveLength(1);
    });

    it('runs the waiting example: the task ends while the ticket is open, holding no worker, and the sweep resumes it once the ticket is done; a task retried by hand once it is done is no longer watched', async () => {
      const knex = await databases.init('SQLITE_3');
      const waits = await ManualWaits.create({
        getClient: async () => knex,
        migrations: { skip: false },
      });
      const saved = new Map<string, unknown>();
      const checkpoint = async ({ key, fn }: any) => {
        if (!saved.has(key)) saved.set(key, await fn());
        return saved.get(key);
      };
      const jira = JiraClient.fromConfig(config)!;
      const waiting = createJiraIssueCreateAction({ jira, waits });
      const first = context(inputOf(jiraExamples[1].example), { checkpoint });
      const ended = await waiting.handler(first.ctx as any).catch(e => e);
      expect(ended.name).toBe('ManualWaitPendingError');
      const key = Object.fromEntries((first.ctx.output as jest.Mock).mock.calls)
        .issueKey as string;
      expect(ended.message).toMatch(
        new RegExp(
          `^Waiting for ${key} to be done \\(status: To Do\\): the task ends here, holding no worker, and goes on by itself once ${key} is done`,
        ),
      );
      const taskId = first.ctx.task.id;
      expect(await waits.waiting()).toMatchObject([{ taskId, issueKey: key }]);

      // The sweep leaves it while the ticket is open, and retries its task once it is done.
      const retried: string[] = [];
      const sweep = () =>
        resumeManualWaits({
          waits,
          jira,
          retry: async id => {
            retried.push(id);
            return true;
          },
          logger: mockServices.logger.mock(),
        });
      await sweep();
      expect(retried).toEqual([]);
      const done = (issueKey: string) =>
        fetch(`${sandbox.jiraUrl}/rest/api/3/issue/${issueKey}/transitions`, {
          method: 'POST',
          headers: {
            authorization: 'Bearer t',
            'content-type': 'application/json',
          },
          body: JSON.stringify({ transition: { id: '31' } }),
        });
      await done(key);
      await sweep();
      await sweep();
      expect(retried).toEqual([taskId]);
      expect(await waits.waiting()).toEqual([]);

      // The retried task goes on from its checkpoint: the same ticket, now done.
      const second = context(inputOf(jiraExamples[1].example), { checkpoint });
      await waiting.handler(second.ctx as any);
      const outputs = Object.fromEntries(
        (second.ctx.output as jest.Mock).mock.calls,
      );
      expect(outputs).toMatchObject({ issueKey: key, status: 'Done' });
      expect(second.log()).toContain(`${key} is now Done`);

      // A task retried by hand once its ticket is done goes on, and its wait ends with it: the
      // sweep no longer reads the ticket.
      const own = new Map<string, unknown>();
      const byHand = async ({ key: k, fn }: any) => {
        if (!own.has(k)) own.set(k, await fn());
        return own.get(k);
      };
      const third = context(inputOf(jiraExamples[1].example), {
        checkpoint: byHand,
      });
      await waiting.handler(third.ctx as any).catch(e => e);
      const key2 = Object.fromEntries(
        (third.ctx.output as jest.Mock).mock.calls,
      ).issueKey as string;
      expect((await waits.get(taskId, key2))?.state).toBe('waiting');
      await done(key2);
      const retry = context(inputOf(jiraExamples[1].example), {
        checkpoint: byHand,
      });
      await waiting.handler(retry.ctx as any);
      expect(retry.log()).toContain(`${key2} is now Done`);
      expect((await waits.get(taskId, key2))?.state).toBe('resumed');
      expect(await waits.waiting()).toEqual([]);

      // A ticket not done by its deadline is no longer watched.
      await waits.park('another-task', 'OPS-999999', 1);
      await resumeManualWaits({
        waits,
        jira,
        retry: async () => true,
        logger: mockServices.logger.mock(),
        now: () => new Date(Date.now() + 120_000),
      });
      expect((await waits.get('another-task', 'OPS-999999'))?.state).toBe(
        'expired',
      );
    });

    it('refuses malformed input with one error naming every field', async () => {
      const { ctx } = context({ projectKey: 'plat', summary: '' });
      const error = await action()
        .handler(ctx as any)
        .catch(e => e);
      expect(error.name).toBe('InputError');
      expect(error.message).toMatch(
        /projectKey: must be a Jira project key such as PLAT/,
      );
      expect(error.message).toMatch(/summary: /);
    });

    it("refuses an unknown project with Jira's reason, and says when Jira is not configured", async () => {
      const { ctx } = context({ projectKey: 'NOPE', summary: 'x' });
      await expect(action().handler(ctx as any)).rejects.toThrow(
        /project: valid project is required/,
      );
      const unconfigured = createJiraIssueCreateAction({ jira: undefined });
      await expect(
        unconfigured.handler(
          context({ projectKey: 'PLAT', summary: 'x' }).ctx as any,
        ),
      ).rejects.toThrow(/set konductor\.jira\.baseUrl/);
    });
  });
});
