import type { Knex } from 'knex';
import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';

const migrationsDir = resolvePackagePath(
  '@konductor/plugin-provisioning-backend',
  'migrations',
);

/** The provisioning plugin's database, migrated to the latest schema unless migrations are skipped. */
export async function provisioningDatabase(
  database: DatabaseService,
): Promise<Knex> {
  const client = await database.getClient();
  if (!database.migrations?.skip) {
    await client.migrate.latest({ directory: migrationsDir });
  }
  return client;
}

/** The columns that key a stack's rows. */
export const stackKeyColumns = (key: {
  accountId: string;
  region: string;
  stackId: string;
}) => ({
  account_id: key.accountId,
  region: key.region,
  stack_id: key.stackId,
});

/** Timestamps come back as Date (PostgreSQL), epoch milliseconds or a string (SQLite). */
export function iso(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  const n = Number(v);
  return new Date(Number.isFinite(n) ? n : String(v)).toISOString();
}
