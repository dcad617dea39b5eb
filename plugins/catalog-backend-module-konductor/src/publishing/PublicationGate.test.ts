import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogProcessorResult } from '@backstage/plugin-catalog-node';
import { Publications } from './Publications';
import { PublicationGate } from './PublicationGate';

const databases = TestDatabases.create({
  ids: ['SQLITE_3'],
  disableDocker: true,
});

const published = 'https://github.com/acme/platform/blob/main/dns.yaml';
const configured = 'https://github.com/acme/platform/blob/main/config.yaml';
const entity = (kind: string): Entity => ({
  apiVersion: 'konductor.dev/v1alpha1',
  kind,
  metadata: { name: 'dns' },
  spec: {},
});

describe('PublicationGate', () => {
  let publications: Publications;
  /** The catalog's location of each registered URL (`url:<target>`): its id. */
  let registered: Record<string, string>;
  let gate: PublicationGate;

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    publications = await Publications.create({
      getClient: async () => knex,
      migrations: { skip: false },
    });
    gate = new PublicationGate({
      publications,
      config: mockServices.rootConfig({
        data: {
          catalog: { locations: [{ type: 'url', target: configured }] },
        },
      }),
      catalog: {
        getLocationByRef: async ref =>
          registered[ref]
            ? {
                id: registered[ref],
                type: 'url',
                target: ref.slice(4),
                entityRef: 'location:default/generated',
              }
            : undefined,
      },
      auth: mockServices.auth(),
    });
  });
  beforeEach(() => {
    registered = {};
  });

  /** The errors the gate emits for `kind` read from `origin`. */
  async function errorsFor(
    kind: string,
    origin: { type: string; target: string },
  ) {
    const emitted: CatalogProcessorResult[] = [];
    await gate.preProcessEntity(
      entity(kind),
      origin,
      r => emitted.push(r),
      origin,
    );
    return emitted.map(r => (r.type === 'error' ? r.error.message : r.type));
  }

  it('refuses definitions and templates from a URL nobody published, and lets other kinds in', async () => {
    const origin = { type: 'url', target: published };
    expect(await errorsFor('ServiceDefinition', origin)).toEqual([
      `ServiceDefinition dns: only template authors publish ServiceDefinition and Template entities, and ${published} was not published: a template author (or platform admin) publishes it from Provisioning > Definitions`,
    ]);
    expect(await errorsFor('Template', origin)).toHaveLength(1);
    expect(await errorsFor('Component', origin)).toEqual([]);
  });

  it("lets them in from the configuration's locations and files", async () => {
    expect(
      await errorsFor('Template', { type: 'url', target: configured }),
    ).toEqual([]);
    expect(
      await errorsFor('Template', { type: 'file', target: '/srv/t.yaml' }),
    ).toEqual([]);
  });

  it('lets a published URL in as the location it was registered as, and not as a registration by someone else after it was unregistered', async () => {
    const origin = { type: 'url', target: published };
    await publications.add(published, 'user:default/alice');
    // Being published: its preview (no location) and its registration.
    expect(await errorsFor('ServiceDefinition', origin)).toEqual([]);
    registered[`url:${published}`] = 'location-1';
    await publications.bind(published, 'location-1');
    expect(await errorsFor('ServiceDefinition', origin)).toEqual([]);

    // Unregistered, then registered again through Register Existing Component by someone else.
    registered[`url:${published}`] = 'location-2';
    expect(await errorsFor('ServiceDefinition', origin)).toEqual([
      expect.stringContaining(
        'was unregistered since it was published, and registered again by someone else',
      ),
    ]);
  });
});
