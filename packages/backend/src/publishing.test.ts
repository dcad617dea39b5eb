import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import yaml from 'yaml';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import catalogModuleKonductor from '@konductor/plugin-catalog-backend-module-konductor';
import permissionPlugin from '@backstage/plugin-permission-backend';
import konductorPolicy from '@konductor/plugin-permission-backend-module-konductor';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { startSandbox, Sandbox } from '@konductor/sandbox';
import {
  eventually,
  loadAppConfigData,
  repoRoot,
} from './__testUtils__/appConfig';
import { actorAuthServiceFactory } from './__testUtils__/actorAuth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';

const alice = mockCredentials.user.header('user:default/alice');
const bob = mockCredentials.user.header('user:default/bob');
const dana = mockCredentials.user.header('user:default/dana');

/** The dns-record example as another team's definition, named `name`, changed by `edit`. */
function definition(name: string, edit: (spec: any) => void = () => {}) {
  const doc = yaml.parse(
    fs.readFileSync(
      path.join(repoRoot, 'catalog/service-definitions/dns-record.yaml'),
      'utf8',
    ),
  );
  doc.metadata.name = name;
  edit(doc.spec);
  return yaml.stringify(doc);
}

// Template authors publish definitions from their repositories in GitHub (the sandbox's), through
// the real catalog, permission backend and Konductor's policy on the embedded configuration.
describe('publishing a service definition', () => {
  let sandbox: Sandbox;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const fileUrl = (file: string) =>
    `${sandbox.url}/acme/platform-definitions/blob/main/${file}`;

  jest.setTimeout(60_000);

  beforeAll(async () => {
    sandbox = await startSandbox({});
    const github = (method: string, route: string, body: object) =>
      fetch(`${sandbox.githubUrl}${route}`, {
        method,
        headers: {
          authorization: 'token sandbox-token',
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      }).then(res => {
        if (!res.ok) throw new Error(`${method} ${route}: ${res.status}`);
      });
    await github('POST', '/orgs/acme/repos', {
      name: 'platform-definitions',
      auto_init: true,
    });
    for (const [file, content] of [
      ['team-dns.yaml', definition('team-dns')],
      ['other-dns.yaml', definition('other-dns')],
      ['dana-dns.yaml', definition('dana-dns')],
      [
        'typo.yaml',
        definition('typo-dns', spec => {
          spec.fulfilment.manual.projectKy = spec.fulfilment.manual.projectKey;
          delete spec.fulfilment.manual.projectKey;
        }),
      ],
    ])
      await github('PUT', `/repos/acme/platform-definitions/contents/${file}`, {
        message: `Add ${file}`,
        content: Buffer.from(content).toString('base64'),
      });

    const data = await loadAppConfigData();
    const konductor = data.konductor as any;
    ({ server } = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            ...data,
            backend: {
              ...(data.backend as object),
              database: { client: 'better-sqlite3', connection: ':memory:' },
            },
            integrations: {
              github: [
                {
                  host: new URL(sandbox.url).host,
                  apiBaseUrl: sandbox.githubUrl,
                  token: 'sandbox-token',
                },
              ],
            },
            konductor: {
              ...konductor,
              permissions: {
                ...konductor.permissions,
                templateAuthors: ['user:default/alice', 'user:default/dana'],
              },
            },
          },
        }),
        // Backstage's own request authentication, over tokens where a plugin's call on behalf of
        // a user carries the plugin as actor, as real tokens do.
        httpAuthServiceFactory,
        actorAuthServiceFactory,
        catalogPlugin,
        catalogModuleScaffolderEntityModel,
        catalogModuleKonductor,
        permissionPlugin,
        konductorPolicy,
      ],
    }));
  });

  afterAll(() => sandbox?.stop());

  const publish = (as: string, body: object) =>
    request(server)
      .post('/api/catalog/konductor/publications')
      .set('Authorization', as)
      .send(body);
  const entity = (kind: string, name: string) =>
    request(server)
      .get(`/api/catalog/entities/by-name/${kind}/default/${name}`)
      .set('Authorization', mockCredentials.service.header());
  const publications = async () =>
    (
      await request(server)
        .get('/api/catalog/konductor/publications')
        .set('Authorization', bob)
    ).body.items as Array<{ target: string; publishedBy: string }>;

  it('previews what a URL holds without publishing it, then publishes it: its form is served', async () => {
    const preview = await publish(alice, {
      target: fileUrl('team-dns.yaml'),
      dryRun: true,
    });
    expect(preview.status).toBe(200);
    expect(preview.body.entities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'ServiceDefinition',
          name: 'team-dns',
        }),
        expect.objectContaining({ kind: 'Template', name: 'team-dns' }),
      ]),
    );
    expect(await publications()).toEqual([]);
    expect((await entity('servicedefinition', 'team-dns')).status).toBe(404);

    const published = await publish(alice, {
      target: fileUrl('team-dns.yaml'),
    });
    expect(published.status).toBe(201);
    expect(await publications()).toEqual([
      expect.objectContaining({
        target: fileUrl('team-dns.yaml'),
        publishedBy: 'user:default/alice',
      }),
    ]);
    const template = await eventually('template:team-dns', async () => {
      const res = await entity('template', 'team-dns');
      return res.status === 200 ? res.body : undefined;
    });
    expect(template.metadata.annotations).toMatchObject({
      'konductor.dev/service-definition': 'servicedefinition:default/team-dns',
    });
  });

  it('publishes again a URL that was unregistered (by an admin, not its publisher): its definition comes back', async () => {
    const location = await request(server)
      .get(
        '/api/catalog/locations/by-entity/servicedefinition/default/team-dns',
      )
      .set('Authorization', alice);
    expect(location.status).toBe(200);
    const remove = (who: string) =>
      request(server)
        .delete(`/api/catalog/locations/${location.body.id}`)
        .set('Authorization', who);
    // Removing a catalog location is an admin's (its publisher has Unpublish): here the
    // backend's own service unregisters it.
    expect((await remove(alice)).status).toBe(403);
    expect((await remove(mockCredentials.service.header())).status).toBe(204);
    await eventually('servicedefinition:team-dns removed', async () =>
      (await entity('servicedefinition', 'team-dns')).status === 404
        ? true
        : undefined,
    );

    const again = await publish(alice, { target: fileUrl('team-dns.yaml') });
    expect(again.status).toBe(201);
    expect(again.body.existed).toBe(true);
    await eventually('servicedefinition:team-dns back', async () => {
      const res = await entity('servicedefinition', 'team-dns');
      return res.status === 200 ? res.body : undefined;
    });
  });

  it('refuses a definition with an unknown field, naming it, and publishes nothing', async () => {
    const res = await publish(alice, { target: fileUrl('typo.yaml') });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/projectKy/);
    expect(res.body.error.message).toMatch(/projectKey/);
    expect((await publications()).map(p => p.target)).not.toContain(
      fileUrl('typo.yaml'),
    );
  });

  it('refuses someone who is not a template author, through the API and through Register', async () => {
    const res = await publish(bob, { target: fileUrl('other-dns.yaml') });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/template authors/);

    // Register Existing Component previews with a dry run, which the catalog refuses.
    const registered = await request(server)
      .post('/api/catalog/locations?dryRun=true')
      .set('Authorization', bob)
      .send({ type: 'url', target: fileUrl('other-dns.yaml') });
    expect(registered.status).toBe(400);
    expect(registered.body.error.message).toMatch(
      /other-dns.yaml was not published/,
    );
    expect((await publications()).map(p => p.target)).not.toContain(
      fileUrl('other-dns.yaml'),
    );
  });

  it('unpublishes a URL: its publisher alone among authors, and what it held leaves the catalog', async () => {
    const target = fileUrl('dana-dns.yaml');
    expect((await publish(dana, { target })).status).toBe(201);
    await eventually('template:dana-dns served', async () =>
      (await entity('template', 'dana-dns')).status === 200 ? true : undefined,
    );
    const unpublish = (as: string, url = target) =>
      request(server)
        .delete(
          `/api/catalog/konductor/publications?target=${encodeURIComponent(
            url,
          )}`,
        )
        .set('Authorization', as);

    // A developer, and another template author: not theirs.
    for (const someone of [bob, alice]) {
      const refused = await unpublish(someone);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(/whoever published it/);
    }
    expect((await entity('servicedefinition', 'dana-dns')).status).toBe(200);

    expect((await unpublish(dana)).status).toBe(204);
    expect((await publications()).map(p => p.target)).not.toContain(target);
    await eventually('dana-dns gone from the catalog', async () =>
      (await entity('servicedefinition', 'dana-dns')).status === 404 &&
      (await entity('template', 'dana-dns')).status === 404
        ? true
        : undefined,
    );
    // Nothing left to unpublish; and registering it now takes an author again.
    const again = await unpublish(dana);
    expect(again.status).toBe(404);
    expect(again.body.error.message).toMatch(/is not published/);
    const registered = await request(server)
      .post('/api/catalog/locations?dryRun=true')
      .set('Authorization', bob)
      .send({ type: 'url', target });
    expect(registered.status).toBe(400);
  });

  it('refuses a URL that is not a URL, saying what to give', async () => {
    const res = await publish(alice, { target: 'team-dns.yaml' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/target: a URL of a YAML file/);
  });
});
