import type { Knex } from 'knex';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Publications } from './Publications';

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

const url = 'https://github.com/acme/platform/blob/main/dns.yaml';

describe.each(databases.eachSupportedId())('Publications on %s', databaseId => {
  let knex: Knex;
  let publications: Publications;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    publications = await Publications.create({
      getClient: async () => knex,
      migrations: { skip: false },
    });
  });

  it('records who published a URL first and the location it is registered as, and forgets it when removed', async () => {
    expect(await publications.get(url)).toBeUndefined();
    expect(await publications.add(url, 'user:default/alice')).toBe(true);
    expect(await publications.get(url)).toMatchObject({
      target: url,
      publishedBy: 'user:default/alice',
      locationId: undefined,
    });
    await publications.bind(url, 'location-1');
    // Published again by someone else: still alice's publication.
    expect(await publications.add(url, 'user:default/carol')).toBe(false);
    expect(await publications.get(url)).toMatchObject({
      publishedBy: 'user:default/alice',
      locationId: 'location-1',
    });
    await publications.bind(url, null);
    expect((await publications.get(url))?.locationId).toBeUndefined();
    // The rules' view of publications, in the order asked, none where unpublished.
    expect(
      (await publications.byTargets([`${url}.missing`, url])).map(
        p => p?.publishedBy,
      ),
    ).toEqual([undefined, 'user:default/alice']);
    const [only, ...rest] = await publications.list();
    expect(rest).toEqual([]);
    expect(only).toMatchObject({
      target: url,
      publishedBy: 'user:default/alice',
    });
    expect(Date.now() - Date.parse(only.publishedAt)).toBeLessThan(60_000);

    await publications.remove(url);
    expect(await publications.get(url)).toBeUndefined();
    expect(await publications.list()).toEqual([]);
  });

  it("keeps its migrations apart from the catalog's", async () => {
    expect(
      await knex.schema.hasTable('konductor_catalog_knex_migrations'),
    ).toBe(true);
  });
});
