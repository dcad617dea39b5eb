import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import {
  actionsRegistryServiceFactory,
  actionsServiceFactory,
} from '@backstage/backend-defaults/alpha';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import kubernetesPlugin from '@backstage/plugin-kubernetes-backend';
import konductorPolicy from '@konductor/plugin-permission-backend-module-konductor';
import { actorAuthServiceFactory } from './__testUtils__/actorAuth';
import provisioningPlugin from '@konductor/plugin-provisioning-backend';
import compliancePlugin from '@konductor/plugin-compliance-backend';
import scaffolderModuleKonductor from '@konductor/plugin-scaffolder-backend-module-konductor';
import {
  startSandbox,
  Sandbox,
  SANDBOX_SECRET_ACCESS_KEY,
} from '@konductor/sandbox';
import { eventually } from './__testUtils__/appConfig';

/**
 * Konductor's permission policy through the real permission backend, over every Konductor route
 * and action: who (an owner's member, another team's member, a platform admin) x whose stack x
 * which environment. The policy's settings are the admin guide's example: admins are
 * platform-admins, and destroying a prod stack is for admins only.
 */
const people = {
  alice: ['user:default/alice', 'group:default/team-a'],
  bob: ['user:default/bob', 'group:default/team-b'],
  carol: ['user:default/carol', 'group:default/platform-admins'],
};
type Person = keyof typeof people;
const as = (who: Person) => mockCredentials.user.header(people[who][0]);
const service = mockCredentials.service.header();
const account = { accountId: '123456789012', region: 'us-east-1' };

describe("Konductor's permission matrix", () => {
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let server: typeof backend.server;
  let sandbox: Sandbox;
  const runs: Record<string, { running: string; failed: string }> = {};

  jest.setTimeout(120_000);

  beforeAll(async () => {
    sandbox = await startSandbox();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-matrix-'));
    const catalogFile = path.join(dir, 'catalog.yaml');
    fs.writeFileSync(
      catalogFile,
      [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'shop' },
          spec: {
            type: 'service',
            lifecycle: 'production',
            owner: 'group:default/team-a',
          },
        },
        {
          apiVersion: 'scaffolder.backstage.io/v1beta3',
          kind: 'Template',
          metadata: { name: 'matrix-destroy' },
          spec: {
            owner: 'group:default/platform-admins',
            type: 'resource',
            parameters: [
              {
                properties: {
                  name: { type: 'string' },
                  environment: { type: 'string' },
                },
              },
            ],
            steps: [
              {
                id: 'destroy',
                action: 'konductor:stack:destroy',
                input: {
                  name: '${{ parameters.name }}',
                  environment: '${{ parameters.environment }}',
                  aws: account,
                },
              },
            ],
          },
        },
        {
          apiVersion: 'scaffolder.backstage.io/v1beta3',
          kind: 'Template',
          metadata: { name: 'matrix-outputs' },
          spec: {
            owner: 'group:default/platform-admins',
            type: 'resource',
            parameters: [{ properties: { stack: { type: 'string' } } }],
            steps: [
              {
                id: 'outputs',
                action: 'konductor:stack:outputs',
                input: { stack: '${{ parameters.stack }}' },
              },
            ],
          },
        },
      ]
        .map(e => JSON.stringify(e))
        .join('\n---\n'),
    );
    backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            backend: {
              database: { client: 'better-sqlite3', connection: ':memory:' },
              // As app-config.yaml: the MCP server offers the scaffolder's actions.
              actions: { pluginSources: ['catalog', 'scaffolder'] },
            },
            catalog: {
              rules: [{ allow: ['Component', 'Template'] }],
              locations: [{ type: 'file', target: catalogFile }],
            },
            // As app-config.yaml: the clusters are the catalog's.
            kubernetes: {
              serviceLocatorMethod: { type: 'catalogRelation' },
              clusterLocatorMethods: [{ type: 'catalog' }],
            },
            aws: {
              accounts: [
                {
                  accountId: account.accountId,
                  accessKeyId: 'AKIA123456789012',
                  secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
                },
              ],
            },
            konductor: {
              aws: { endpoint: sandbox.url, pollIntervalSeconds: 0.02 },
              provisioning: {
                accounts: [
                  { accountId: account.accountId, regions: [account.region] },
                ],
              },
              permissions: {
                admins: ['group:default/platform-admins'],
                adminOnly: { destroy: ['prod'] },
              },
            },
          },
        }),
        // The real permissions service: every plugin asks the permission backend, whose policy
        // is Konductor's; conditional decisions are resolved by the plugin owning the resource.
        permissionsServiceFactory,
        // Backstage's own request authentication, over the token service below.
        httpAuthServiceFactory,
        actionsRegistryServiceFactory,
        actionsServiceFactory,
        actorAuthServiceFactory,
        // Who is in which group, as sign-in would have put it in the user's token.
        createServiceFactory({
          service: coreServices.userInfo,
          deps: {},
          factory: () => ({
            getUserInfo: async (credentials: any) => {
              const ref = credentials.principal.userEntityRef;
              const entry = Object.values(people).find(p => p[0] === ref);
              return {
                userEntityRef: ref,
                ownershipEntityRefs: entry ?? [ref],
              };
            },
          }),
        }),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({ publish: async () => {} }),
        }),
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({ send: async () => {} }),
        }),
        permissionPlugin,
        konductorPolicy,
        catalogPlugin,
        catalogModuleScaffolderEntityModel,
        scaffolderPlugin,
        scaffolderModuleKonductor,
        provisioningPlugin,
        compliancePlugin,
        mcpActionsPlugin,
        kubernetesPlugin,
      ],
    });
    server = backend.server;

    // team-a's stack "shop" in dev and in prod, each with a running and a failed run.
    for (const environment of ['dev', 'prod']) {
      const claim = await request(server)
        .post('/api/provisioning/stacks/claims')
        .set('Authorization', as('alice'))
        .send({
          ...account,
          name: 'shop',
          environment,
          owner: 'group:default/team-a',
        });
      if (!claim.body.created)
        throw new Error(`claim refused: ${JSON.stringify(claim.body)}`);
      const ids: string[] = [];
      for (const end of ['running', 'run-failed']) {
        const { body: run } = await request(server)
          .post('/api/provisioning/runs')
          .set('Authorization', service)
          .send({
            ...account,
            taskId: `task-${environment}-${end}`,
            stackId: `shop-${environment}`,
            stackName: 'shop',
            environment,
            owner: 'group:default/team-a',
            createdBy: people.alice[0],
            resources: [{ resource: 'network', dependsOn: [] }],
          });
        const events = [
          {
            seq: 1,
            at: new Date().toISOString(),
            status: 'ready',
            resource: 'network',
            message: 'network: ready',
            outputs: { vpcId: `vpc-${environment}` },
          },
          ...(end === 'run-failed'
            ? [
                {
                  seq: 2,
                  at: new Date().toISOString(),
                  status: end,
                  message: 'failed',
                },
              ]
            : []),
        ];
        await request(server)
          .post(`/api/provisioning/runs/${run.id}/events`)
          .set('Authorization', service)
          .send({ events });
        ids.push(run.id);
      }
      runs[environment] = { running: ids[0], failed: ids[1] };
    }
  });
  afterAll(() => Promise.all([backend.stop(), sandbox.stop()]));

  describe('runs', () => {
    it.each([
      ['alice', 'dev', false],
      ['alice', 'prod', false],
      ['bob', 'dev', true],
      ['bob', 'prod', true],
      ['carol', 'dev', false],
      ['carol', 'prod', false],
    ] as [Person, string, boolean][])(
      '%s sees the %s run; outputs hidden: %s',
      async (who, environment, hidden) => {
        const run = await request(server)
          .get(`/api/provisioning/runs/${runs[environment].failed}`)
          .set('Authorization', as(who));
        expect(run.status).toBe(200);
        expect(!!run.body.outputsHidden).toBe(hidden);
        const events = await request(server)
          .get(`/api/provisioning/runs/${runs[environment].failed}/events`)
          .set('Authorization', as(who));
        expect(JSON.stringify(events.body).includes(`vpc-${environment}`)).toBe(
          !hidden,
        );
        const list = await request(server)
          .get(`/api/provisioning/runs?stackId=shop-${environment}`)
          .set('Authorization', as(who));
        expect(list.body.totalCount).toBe(2);
      },
    );

    // Allowed requests pass the policy and reach the scaffolder, which does not know these
    // test tasks (404); refused ones stop at the policy (403).
    it.each([
      ['alice', 'dev', 404],
      ['alice', 'prod', 404],
      ['bob', 'dev', 403],
      ['bob', 'prod', 403],
      ['carol', 'dev', 404],
      ['carol', 'prod', 404],
    ] as [Person, string, number][])(
      '%s cancelling or retrying a %s run: %s',
      async (who, environment, status) => {
        const cancel = await request(server)
          .post(`/api/provisioning/runs/${runs[environment].running}/cancel`)
          .set('Authorization', as(who));
        expect(cancel.status).toBe(status);
        const retry = await request(server)
          .post(`/api/provisioning/runs/${runs[environment].failed}/retry`)
          .set('Authorization', as(who));
        expect(retry.status).toBe(status);
      },
    );
  });

  describe('stack claims', () => {
    const claim = (who: Person, name: string, owner: string) =>
      request(server)
        .post('/api/provisioning/stacks/claims')
        .set('Authorization', as(who))
        .send({ ...account, name, environment: 'dev', owner });

    it.each([
      ['alice', 'shop', 'group:default/team-a', 200],
      ['bob', 'shop', 'group:default/team-b', 409],
      ['bob', 'shop', 'group:default/team-a', 403],
      ['carol', 'shop', 'group:default/team-a', 200],
      ['bob', 'bobs', 'group:default/team-a', 403],
      ['bob', 'bobs', 'group:default/team-b', 201],
      ['carol', 'carols', 'group:default/team-a', 201],
    ] as [Person, string, string, number][])(
      '%s claiming %s for %s: %s',
      async (who, name, owner, status) => {
        expect((await claim(who, name, owner)).status).toBe(status);
      },
    );
  });

  describe('actions, run by the scaffolder as the task user', () => {
    /** Runs a template as `who` (or through `start`) and resolves to its end and log. */
    async function runTask(who: Person, templateRef: string, values: object) {
      const created = await request(server)
        .post('/api/scaffolder/v2/tasks')
        .set('Authorization', as(who))
        .send({ templateRef, values });
      expect(created.status).toBe(201);
      return finished(who, created.body.id);
    }
    async function finished(who: Person, id: string) {
      const task = await eventually('the task to finish', async () => {
        const res = await request(server)
          .get(`/api/scaffolder/v2/tasks/${id}`)
          .set('Authorization', as(who));
        return ['completed', 'failed'].includes(res.body.status)
          ? res.body
          : undefined;
      });
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${id}/events`)
        .set('Authorization', as(who));
      return {
        id,
        status: task.status as string,
        log: (events.body as any[]).map(e => e.body?.message ?? '').join('\n'),
      };
    }

    beforeAll(async () => {
      await eventually('the test templates', async () => {
        const res = await request(server)
          .get('/api/catalog/entities/by-name/template/default/matrix-outputs')
          .set('Authorization', service);
        return res.status === 200 ? true : undefined;
      });
    });

    it("reads a stack's outputs for its owner's members and admins only", async () => {
      const mine = await runTask('alice', 'template:default/matrix-outputs', {
        stack: 'shop-dev',
      });
      expect(mine.status).toBe('completed');
      const theirs = await runTask('bob', 'template:default/matrix-outputs', {
        stack: 'shop-dev',
      });
      expect(theirs.status).toBe('failed');
      expect(theirs.log).toContain(
        'stack: you may not read the outputs of "shop-dev": it belongs to group:default/team-a',
      );
      // Nor may he read her task, whose log and output hold the outputs.
      expect(
        (
          await request(server)
            .get(`/api/scaffolder/v2/tasks/${mine.id}`)
            .set('Authorization', as('bob'))
        ).status,
      ).toBe(403);
    });

    it('destroys for members outside prod and for admins everywhere; others are refused', async () => {
      const refused = `You may not destroy stack shop-dev: it belongs to group:default/team-a, and only its members or a platform admin may`;
      const bob = await runTask('bob', 'template:default/matrix-destroy', {
        name: 'shop',
        environment: 'dev',
      });
      expect(bob.status).toBe('failed');
      expect(bob.log).toContain(refused);
      const aliceProd = await runTask(
        'alice',
        'template:default/matrix-destroy',
        {
          name: 'shop',
          environment: 'prod',
        },
      );
      expect(aliceProd.status).toBe('failed');
      expect(aliceProd.log).toContain('You may not destroy stack shop-prod');
      const carolProd = await runTask(
        'carol',
        'template:default/matrix-destroy',
        {
          name: 'shop',
          environment: 'prod',
        },
      );
      expect(carolProd.status).toBe('completed');
      // Destroyed: the name is free again.
      expect(
        (
          await request(server)
            .get('/api/provisioning/stacks/123456789012/us-east-1/shop-prod')
            .set('Authorization', as('carol'))
        ).status,
      ).toBe(404);
    });

    it('obeys the same policy through the MCP actions server', async () => {
      const client = new Client({ name: 'matrix', version: '1.0.0' });
      const port = (server.address() as { port: number }).port;
      await client.connect(
        new StreamableHTTPClientTransport(
          new URL(`http://localhost:${port}/api/mcp-actions/v1`),
          { requestInit: { headers: { authorization: as('bob') } } },
        ),
      );
      const { tools } = await client.listTools();
      const execute = tools.find(t => t.name.endsWith('execute-template'));
      expect(execute).toBeDefined();
      const result: any = await client.callTool({
        name: execute!.name,
        arguments: {
          templateRef: 'template:default/matrix-destroy',
          values: { name: 'shop', environment: 'dev' },
        },
      });
      await client.close();
      const { taskId } = JSON.parse(result.content[0].text);
      const task = await finished('bob', taskId);
      expect(task.status).toBe('failed');
      expect(task.log).toContain('You may not destroy stack shop-dev');
    });
  });

  describe('compliance exemptions', () => {
    const body = {
      entityRef: 'component:default/shop',
      checkId: 'documentation',
      justification: 'Docs move to the wiki next sprint',
      expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    };
    const requestBy = (who: Person) =>
      request(server)
        .post('/api/compliance/exemptions')
        .set('Authorization', as(who))
        .send(body);
    const approve = (who: Person, id: string) =>
      request(server)
        .post(`/api/compliance/exemptions/${id}/approve`)
        .set('Authorization', as(who));

    beforeAll(async () => {
      await eventually('the shop in the catalog', async () => {
        const res = await request(server)
          .get('/api/catalog/entities/by-name/component/default/shop')
          .set('Authorization', service);
        return res.status === 200 ? true : undefined;
      });
    });

    it("are requested by the entity's owners, approved or rejected by an admin who did not request them", async () => {
      expect((await requestBy('bob')).status).toBe(403);
      const alices = await requestBy('alice');
      expect(alices.status).toBe(201);
      expect((await approve('alice', alices.body.id)).status).toBe(403);
      expect((await approve('bob', alices.body.id)).status).toBe(403);
      expect((await approve('carol', alices.body.id)).status).toBe(200);
      const carols = await requestBy('carol');
      expect(carols.status).toBe(201);
      const own = await approve('carol', carols.body.id);
      expect(own.status).toBe(403);
      expect(own.body.error.message).toBe(
        'You requested this exemption: someone else must approve it',
      );
      // Rejecting is deciding too: an admin's, on someone else's request.
      const reject = (who: Person) =>
        request(server)
          .post(`/api/compliance/exemptions/${carols.body.id}/reject`)
          .set('Authorization', as(who))
          .send({ comment: 'The wiki is not evidence of docs' });
      expect((await reject('alice')).status).toBe(403);
      expect((await reject('carol')).status).toBe(403);
      expect(
        (
          await request(server)
            .delete(`/api/compliance/exemptions/${alices.body.id}`)
            .set('Authorization', as('bob'))
        ).status,
      ).toBe(403);
      expect(
        (
          await request(server)
            .delete(`/api/compliance/exemptions/${alices.body.id}`)
            .set('Authorization', as('alice'))
        ).status,
      ).toBe(204);
    });
  });

  it("keeps Backstage's Kubernetes proxy (any request to any cluster) to admins", async () => {
    const proxy = (who: Person) =>
      request(server)
        .get('/api/kubernetes/proxy/api/v1/namespaces')
        .set('Authorization', as(who))
        .set('Backstage-Kubernetes-Cluster', 'shop-dev-kubernetes');
    for (const who of ['alice', 'bob'] as const)
      expect((await proxy(who)).status).toBe(403);
    // An admin passes the permission check (what the proxy does next loads the ESM Kubernetes
    // client, which Jest cannot; the browser journey reads a pod's log through it as an admin).
    expect((await proxy('carol')).status).not.toBe(403);
  });

  it('keeps unregistering catalog locations (whatever they hold, whoever owns it) to admins', async () => {
    // Alice registers a file of her team's (registering is everyone's).
    const registered = await request(server)
      .post('/api/catalog/locations')
      .set('Authorization', as('alice'))
      .send({
        type: 'url',
        target: `${sandbox.url}/acme/cart/blob/main/catalog-info.yaml`,
      });
    expect(registered.status).toBe(201);
    const location = registered.body.location.id as string;
    const remove = (who: Person, id: string) =>
      request(server)
        .delete(`/api/catalog/locations/${id}`)
        .set('Authorization', as(who));
    // Neither another team nor her own team unregisters it: it could hold anyone's entities.
    for (const who of ['alice', 'bob'] as const)
      expect((await remove(who, location)).status).toBe(403);
    expect((await remove('carol', location)).status).toBe(204);
  });
});
