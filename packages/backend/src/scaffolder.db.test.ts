import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import type { Knex } from 'knex';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import catalogModuleKonductor from '@konductor/plugin-catalog-backend-module-konductor';
import catalogModuleGithubOrg from '@backstage/plugin-catalog-backend-module-github-org';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModuleWorkspaceDatabase from '@backstage/plugin-scaffolder-backend-module-workspace-database';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderModuleKonductor from '@konductor/plugin-scaffolder-backend-module-konductor';
import provisioningPlugin from '@konductor/plugin-provisioning-backend';
import { startSandbox, Sandbox } from '@konductor/sandbox';
import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { eventually, loadAppConfigData } from './__testUtils__/appConfig';
import { catalogTasks } from './__testUtils__/scheduler';

const exec = promisify(execFile);

// The catalog and scaffolder on each database Konductor supports: SQLite (embedded default)
// and PostgreSQL (production). PostgreSQL runs when ./konductor test provides one.
const sharedEvents = mockServices.events();

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

/**
 * Backend database config that gives every plugin its own storage in the database TestDatabases
 * created: a schema per plugin on PostgreSQL, an in-memory database per plugin on SQLite (an
 * in-memory SQLite database cannot be shared between connections).
 */
function pluginDatabasesIn(knex: Knex) {
  const { client, connection } = knex.client.config;
  if (client === 'pg') {
    return { client, connection, pluginDivisionMode: 'schema' };
  }
  return { client: 'better-sqlite3', connection: ':memory:' };
}

describe.each(databases.eachSupportedId())(
  'catalog and scaffolder on %s',
  databaseId => {
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let sandbox: Sandbox;
    const auth = mockCredentials.service.header();
    const tasks = catalogTasks();

    beforeAll(async () => {
      sandbox = await startSandbox({
        platformHub: true,
        durations: {
          vpc: 10,
          rdsInstance: 200,
          rdsInstanceDelete: 50,
          eksCluster: 200,
          eksNodegroup: 100,
          deployment: 100,
        },
      });
      const knex = await databases.init(databaseId);
      const data = await loadAppConfigData();
      const konductor = data.konductor as Record<string, any>;
      const catalog = data.catalog as Record<string, any>;
      ({ server } = await startTestBackend({
        features: [
          mockServices.rootConfig.factory({
            data: {
              ...data,
              backend: {
                ...(data.backend as object),
                database: pluginDatabasesIn(knex),
              },
              // The real config, with the AWS clients pointed at this test's sandbox.
              konductor: {
                ...konductor,
                aws: {
                  ...konductor.aws,
                  endpoint: sandbox.url,
                  pollIntervalSeconds: 0.05,
                },
                jira: { ...konductor.jira, baseUrl: sandbox.jiraUrl },
                apps: {
                  gitops: {
                    ...konductor.apps.gitops,
                    repoUrl: `${
                      new URL(sandbox.url).host
                    }?owner=acme&repo=deployments`,
                  },
                },
              },
              // The organisation's people and teams (the guest's team among them) from this
              // test's sandbox's GitHub, as the embedded setup reads them.
              catalog: {
                ...catalog,
                providers: {
                  ...catalog.providers,
                  githubOrg: {
                    ...catalog.providers.githubOrg,
                    githubUrl: sandbox.url,
                  },
                },
              },
              // GitHub is this test's sandbox too.
              integrations: {
                github: [
                  {
                    host: new URL(sandbox.url).host,
                    apiBaseUrl: sandbox.githubUrl,
                    token: 'sandbox-token',
                  },
                ],
              },
            },
          }),
          catalogPlugin,
          catalogModuleScaffolderEntityModel,
          catalogModuleKonductor,
          tasks.module,
          catalogModuleGithubOrg,
          scaffolderPlugin,
          scaffolderModuleWorkspaceDatabase,
          scaffolderModuleKonductor,
          provisioningPlugin,
          // Permission policy is not what this file tests (catalog.test.ts runs the real permission
          // plugin); the mock also lets a user's cancel reach the scaffolder, which mock auth cannot
          // give an on-behalf-of token.
          mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
          // One events bus for every plugin, as the real backend's (the test backend's default
          // gives each plugin its own): a run's end reaches the catalog module.
          createServiceFactory({
            service: eventsServiceRef,
            deps: {},
            factory: () => sharedEvents,
          }),
        ],
      }));
    }, 60_000);

    afterAll(() => sandbox?.stop());

    /** Runs a template from the catalog to its end and returns the task and its log. */
    async function runTemplate(name: string, values: object) {
      // The template, and the owner group its repository is given to (a GitHub team).
      const inCatalog = (ref: string) =>
        eventually(`${ref} in the catalog`, async () => {
          // A definition processed before one it depends on waits for this look.
          await tasks.run('konductor-definition-dependencies');
          const res = await request(server)
            .get(`/api/catalog/entities/by-name/${ref}`)
            .set('Authorization', auth);
          return res.status === 200 ? res.body : undefined;
        });
      await inCatalog(`template/default/${name}`);
      await inCatalog('group/default/guests');
      const created = await request(server)
        .post('/api/scaffolder/v2/tasks')
        .set('Authorization', auth)
        .send({ templateRef: `template:default/${name}`, values });
      expect(created.status).toBe(201);
      const task = await eventually(
        'the task to finish',
        async () => {
          const res = await request(server)
            .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
            .set('Authorization', auth);
          return ['completed', 'failed', 'cancelled'].includes(res.body.status)
            ? res.body
            : undefined;
        },
        60_000,
      );
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
        .set('Authorization', auth);
      return {
        task,
        messages: events.body.map((e: any) =>
          String(e.body.message),
        ) as string[],
      };
    }

    it('ingests the catalog and runs the hello-world template to completion', async () => {
      const { task, messages } = await runTemplate('hello-world', {
        name: `db-${databaseId.toLowerCase().replace('_', '-')}`,
      });
      expect(task.status).toBe('completed');
      // The task's log, read back from this database, holds every step's completion.
      expect(messages).toEqual(
        expect.arrayContaining([
          'Finished step Render skeleton',
          'Finished step Show workspace',
        ]),
      );
    }, 120_000);

    it('provisions a PostgreSQL database in the sandbox through konductor:stack:provision', async () => {
      const name = `pg-${databaseId.toLowerCase().replace('_', '-')}`;
      const { task, messages } = await runTemplate('postgres-database', {
        name,
        environment: 'dev',
        instanceClass: 'db.t4g.small',
        owner: 'group:default/guests',
      });
      expect(messages.filter(m => /failed/.test(m))).toEqual([]);
      expect(task.status).toBe('completed');
      expect(messages.join('\n')).toMatch(
        /Plan for .*-dev \(estimated \$\d+\.\d\d\/month\)/,
      );
      expect(messages.join('\n')).toMatch(/database: ready in/);
      const { counts } = await (
        await fetch(`${sandbox.url}/__sandbox/resources`)
      ).json();
      expect(counts['rds/db-instance']).toBeGreaterThanOrEqual(1);
      expect(counts['secretsmanager/secret']).toBeGreaterThanOrEqual(1);

      // The run was recorded by the provisioning backend, with its graph as the events left it.
      const runs = await request(server)
        .get(`/api/provisioning/runs?text=${name}`)
        .set('Authorization', auth);
      expect(runs.body.items).toEqual([
        expect.objectContaining({
          stackId: `${name}-dev`,
          status: 'succeeded',
          templateRef: 'template:default/postgres-database',
          owner: 'group:default/guests',
          complianceLevel: 'moderate',
        }),
      ]);
      const run = await request(server)
        .get(`/api/provisioning/runs/${runs.body.items[0].id}`)
        .set('Authorization', auth);
      expect(
        run.body.resources.map((r: any) => [r.resource, r.status]),
      ).toEqual([
        ['database', 'ready'],
        ['network', 'ready'],
      ]);

      // The run's end refreshes the catalog: the stack and its resources are entities now.
      const database = await eventually(
        'the database in the catalog',
        async () => {
          const res = await request(server)
            .get(
              `/api/catalog/entities/by-name/resource/default/${name}-dev-database`,
            )
            .set('Authorization', auth);
          return res.status === 200 ? res.body : undefined;
        },
        60_000,
      );
      expect(database.spec).toMatchObject({
        type: 'aws-rds-postgres',
        owner: 'group:default/guests',
        system: `${name}-dev`,
        dependsOn: [`resource:default/${name}-dev-network`],
      });
      expect(database.relations).toContainEqual(
        expect.objectContaining({
          type: 'dependsOn',
          targetRef: `resource:default/${name}-dev-network`,
        }),
      );
    }, 120_000);

    it("fulfils a service definition with a dependency's outputs: VPN access to a provisioned private network", async () => {
      const name = `net-${databaseId.toLowerCase().replace('_', '-')}`;
      const network = await runTemplate('private-network', {
        name,
        environment: 'dev',
        owner: 'group:default/platform-team',
      });
      expect(network.task.status).toBe('completed');
      // The network's System carries the template it came from: the dependency picker's filter.
      const system = await eventually(
        'the network stack in the catalog',
        async () => {
          const res = await request(server)
            .get(`/api/catalog/entities/by-name/system/default/${name}-dev`)
            .set('Authorization', auth);
          return res.status === 200 ? res.body : undefined;
        },
        60_000,
      );
      expect(system.metadata.annotations['konductor.dev/template']).toBe(
        'template:default/private-network',
      );
      const picked = await request(server)
        .get('/api/catalog/entities/by-query')
        .query({
          filter:
            'kind=system,metadata.annotations.konductor.dev/template=template:default/private-network',
        })
        .set('Authorization', auth);
      expect(picked.body.items.map((e: any) => e.metadata.name)).toContain(
        `${name}-dev`,
      );

      const vpn = await runTemplate('vpn-access', {
        team: 'group:default/guests',
        reason: 'reach the staging database',
        'dependency-private-network': `system:default/${name}-dev`,
      });
      expect(vpn.messages.filter(m => /fail|error/i.test(m))).toEqual([]);
      expect(vpn.task.status).toBe('completed');
      const run = (
        await request(server)
          .get(`/api/provisioning/runs?stackId=${name}-dev`)
          .set('Authorization', auth)
      ).body.items[0];
      const { resources } = (
        await request(server)
          .get(`/api/provisioning/runs/${run.id}`)
          .set('Authorization', auth)
      ).body;
      const { vpcId, cidr } = resources.find(
        (r: any) => r.resource === 'network',
      ).outputs;
      expect(vpcId).toMatch(/^vpc-/);
      // The ticket, read back from the sandbox's Jira, names the network that was picked.
      const key = vpn.messages.join('\n').match(/\b(OPS-\d+)\b/)?.[1];
      expect(key).toBeDefined();
      const issue = await (
        await fetch(`${sandbox.jiraUrl}/rest/api/3/issue/${key}`, {
          headers: { authorization: 'Basic eDp4' },
        })
      ).json();
      expect(JSON.stringify(issue.fields.description)).toContain(
        `Network: ${vpcId} (${cidr})`,
      );

      // A stack that does not exist is refused with what to change, before any ticket.
      const missing = await runTemplate('vpn-access', {
        team: 'group:default/guests',
        reason: 'x',
        'dependency-private-network': 'system:default/nowhere-dev',
      });
      expect(missing.task.status).toBe('failed');
      expect(missing.messages.join('\n')).toContain(
        'stack: no stack "nowhere-dev" has been provisioned (or you may not read it): choose an existing stack',
      );
    }, 120_000);

    it('cancels a running stack through the provisioning API: the task stops and everything is rolled back', async () => {
      const name = `cx-${databaseId.toLowerCase().replace('_', '-')}`;
      // A slow database create keeps the run going long enough to cancel it.
      sandbox.faults.add({
        service: 'rds',
        operation: 'CreateDBInstance',
        kind: 'latency',
        latencyMs: 3000,
        count: 1,
      });
      await eventually(
        'template:postgres-database in the catalog',
        async () => {
          const res = await request(server)
            .get(
              '/api/catalog/entities/by-name/template/default/postgres-database',
            )
            .set('Authorization', auth);
          return res.status === 200 ? true : undefined;
        },
      );
      const created = await request(server)
        .post('/api/scaffolder/v2/tasks')
        .set('Authorization', auth)
        .send({
          templateRef: 'template:default/postgres-database',
          values: {
            name,
            environment: 'dev',
            instanceClass: 'db.t4g.micro',
            owner: 'group:default/guests',
          },
        });
      expect(created.status).toBe(201);
      const run = await eventually('the run to be recorded', async () => {
        const res = await request(server)
          .get(`/api/provisioning/runs?text=${name}`)
          .set('Authorization', auth);
        return res.body.items?.[0];
      });

      const cancel = await request(server)
        .post(`/api/provisioning/runs/${run.id}/cancel`)
        .set('Authorization', mockCredentials.user.header());
      expect(cancel.status).toBe(202);

      const ended = await eventually(
        'the run to end',
        async () => {
          const res = await request(server)
            .get(`/api/provisioning/runs/${run.id}`)
            .set('Authorization', auth);
          return res.body.run.status === 'running' ? undefined : res.body;
        },
        60_000,
      );
      expect(ended.run.status).toBe('cancelled');
      const task = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
        .set('Authorization', auth);
      expect(task.body.status).not.toBe('completed');
      const { resources } = await (
        await fetch(`${sandbox.url}/__sandbox/resources`)
      ).json();
      expect(
        resources.filter(
          (r: any) =>
            r.tags?.['konductor:stack'] === `${name}-dev` ||
            String(r.id).includes(`${name}-dev`),
        ),
      ).toEqual([]);
    }, 120_000);

    it("a failed run's task says what was rolled back and leads to its run, without Node's stack", async () => {
      const name = `fl-${databaseId.toLowerCase().replace('_', '-')}`;
      // The database's creation ends in RDS's failed state: the run fails and rolls back.
      sandbox.faults.add({
        service: 'rds',
        operation: 'CreateDBInstance',
        kind: 'fail',
        count: 1,
      });
      const { task, messages } = await runTemplate('postgres-database', {
        name,
        environment: 'dev',
        instanceClass: 'db.t4g.micro',
        owner: 'group:default/guests',
      });
      expect(task.status).toBe('failed');
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${task.id}/events`)
        .set('Authorization', auth);
      // The task page's title: the failure, what the rollback did, and a link to the run.
      const error = events.body.find((e: any) => e.type === 'completion')?.body
        .error;
      const runId = `${task.id}_${name}-dev`;
      expect(error.message).toMatch(
        new RegExp(
          `^Stack ${name}-dev failed: .+ Rolled back: .+\\. \\[Open its run\\]\\(/provisioning/runs/${runId}\\) for each resource's events, and to retry it\\.$`,
        ),
      );
      // The log the page opens on failure has the error's sentence, no stack frames.
      expect(messages).toContain(`StackProvisioningError: ${error.message}`);
      expect(messages.filter(m => /\n\s+at /.test(m))).toEqual([]);
      // The run it leads to exists, failed, and may be retried from its page.
      const run = await request(server)
        .get(`/api/provisioning/runs/${encodeURIComponent(runId)}`)
        .set('Authorization', auth);
      expect(run.body.run.status).toBe('failed');
    }, 120_000);

    it('runs the EKS app stack template: gate, a working Node.js repository, the stack, the catalog', async () => {
      const name = `app-${databaseId.toLowerCase().replace('_', '-')}`;
      const host = new URL(sandbox.url).host;
      const { task, messages } = await runTemplate('eks-app-stack', {
        name,
        description: 'Takes orders for the shop.',
        owner: 'group:default/guests',
        repoUrl: `${host}?owner=acme&repo=${name}`,
        location: { accountId: '123456789012', region: 'us-east-1' },
        environment: 'dev',
        complianceLevel: 'moderate',
        instanceClass: 'db.t4g.micro',
        nodeInstanceType: 't3.medium',
        publicApiEndpoint: false,
      });
      expect(messages.filter(m => /error|failed/i.test(m))).toEqual([]);
      expect(task.status).toBe('completed');

      // The repository: cloned from the sandbox, its service's own tests pass, and it answers
      // its health check with the database settings the deployment gives it.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-app-'));
      // Asynchronously: the sandbox answering git runs in this process.
      await exec('git', [
        'clone',
        '-q',
        // A private repository: cloned with a token, as on GitHub.
        `${sandbox.url.replace(
          '://',
          '://x-access-token:t@',
        )}/git/acme/${name}.git`,
        dir,
      ]);
      expect(
        fs.readFileSync(path.join(dir, 'catalog-info.yaml'), 'utf8'),
      ).toContain(`system: ${name}-dev`);
      // (A clean environment: the test runner's NODE_OPTIONS are not the service's.)
      await exec(process.execPath, ['--test'], {
        cwd: dir,
        timeout: 60_000,
        env: { PATH: process.env.PATH },
      });
      const { createServer } = require(path.join(dir, 'src', 'server.js'));
      const app = createServer({
        DB_HOST: 'db',
        DB_PORT: '5432',
        DB_NAME: 'app',
        DB_USER: 'app',
        DB_PASSWORD: 'x',
      }).listen(0);
      const health = await fetch(
        `http://127.0.0.1:${app.address().port}/healthz`,
      );
      app.closeAllConnections();
      app.close();
      expect(await health.json()).toEqual({
        status: 'ok',
        database: 'db:5432/app',
      });

      // The Component, registered from the repository, depends on the stack's Resources.
      const component = await eventually(
        'the component in the catalog',
        async () => {
          const res = await request(server)
            .get(`/api/catalog/entities/by-name/component/default/${name}`)
            .set('Authorization', auth);
          return res.status === 200 ? res.body : undefined;
        },
      );
      expect(
        component.relations
          .filter((r: any) => r.type === 'dependsOn')
          .map((r: any) => r.targetRef)
          .sort(),
      ).toEqual(
        // The stack's resources, and its cluster as Backstage's Kubernetes plugin finds it.
        ['app', 'database', 'kubernetes'].map(
          r => `resource:default/${name}-dev-${r}`,
        ),
      );
    }, 120_000);

    it('refuses a non-compliant EKS app stack at the gate, before any repository exists', async () => {
      const name = `bad-${databaseId.toLowerCase().replace('_', '-')}`;
      const host = new URL(sandbox.url).host;
      const { task, messages } = await runTemplate('eks-app-stack', {
        name,
        description: 'Exposes its cluster to the internet.',
        owner: 'group:default/guests',
        repoUrl: `${host}?owner=acme&repo=${name}`,
        location: { accountId: '123456789012', region: 'us-east-1' },
        environment: 'prod',
        complianceLevel: 'moderate',
        instanceClass: 'db.t4g.micro',
        nodeInstanceType: 't3.medium',
        publicApiEndpoint: true,
      });
      expect(task.status).toBe('failed');
      expect(messages.join('\n')).toContain('resources.cluster.publicEndpoint');
      const repo = await fetch(`${sandbox.githubUrl}/repos/acme/${name}`, {
        headers: { authorization: 'token sandbox-token' },
      });
      expect(repo.status).toBe(404);
    }, 120_000);
  },
);
