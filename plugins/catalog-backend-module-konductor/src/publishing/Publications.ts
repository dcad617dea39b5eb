import type { Knex } from 'knex';
import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import type { DefinitionPublication } from '@konductor/plugin-provisioning-common';

const TABLE = 'konductor_publications';

/**
 * The URLs template authors published (`POST /konductor/publications`), kept in the catalog's
 * database so that every replica's catalog processing sees them.
 */
export class Publications {
  private constructor(private readonly db: Knex) {}

  static async create(database: DatabaseService): Promise<Publications> {
    const db = await database.getClient();
    if (!database.migrations?.skip)
      await db.migrate.latest({
        directory: resolvePackagePath(
          '@konductor/plugin-catalog-backend-module-konductor',
          'migrations',
        ),
        // The catalog's database: this module's migrations apart from the catalog's.
        tableName: 'konductor_catalog_knex_migrations',
      });
    return new Publications(db);
  }

  /** The publication of `target`, with the catalog location it is registered as once it is. */
  async get(
    target: string,
  ): Promise<
    (DefinitionPublication & { locationId: string | undefined }) | undefined
  > {
    const row = await this.db(TABLE).where({ target }).first();
    return (
      row && { ...publicationOf(row), locationId: row.location_id ?? undefined }
    );
  }

  /** Records the catalog location `target` was registered as (null: being registered). */
  async bind(target: string, locationId: string | null): Promise<void> {
    await this.db(TABLE).where({ target }).update({ location_id: locationId });
  }

  /** Records `target` as published by `publishedBy`; false when it was published already. */
  async add(target: string, publishedBy: string): Promise<boolean> {
    if (await this.get(target)) return false;
    await this.db(TABLE)
      .insert({ target, published_by: publishedBy, published_at: new Date() })
      .onConflict('target')
      .ignore();
    return true;
  }

  async remove(target: string): Promise<void> {
    await this.db(TABLE).where({ target }).delete();
  }

  async list(): Promise<DefinitionPublication[]> {
    const rows = await this.db(TABLE).orderBy('published_at', 'desc');
    return rows.map(publicationOf);
  }

  /** The publications of `targets`, in their order (undefined where one is not published). */
  async byTargets(
    targets: string[],
  ): Promise<Array<DefinitionPublication | undefined>> {
    const rows = await this.db(TABLE).whereIn('target', targets);
    const found = new Map(rows.map(r => [r.target, publicationOf(r)]));
    return targets.map(t => found.get(t));
  }
}

function publicationOf(row: any): DefinitionPublication {
  return {
    target: row.target,
    publishedBy: row.published_by,
    // A Date on PostgreSQL, epoch milliseconds on SQLite.
    publishedAt: new Date(row.published_at).toISOString(),
  };
}
