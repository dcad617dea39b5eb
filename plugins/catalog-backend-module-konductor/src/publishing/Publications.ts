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
  ): Promise<{ locationId: string | undefined } | undefined> {
    const row = await this.db(TABLE).where({ target }).first('location_id');
    return row && { locationId: row.location_id ?? undefined };
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
    return rows.map(r => ({
      target: r.target,
      publishedBy: r.published_by,
      // A Date on PostgreSQL, epoch milliseconds on SQLite.
      publishedAt: new Date(r.published_at).toISOString(),
    }));
  }
}
