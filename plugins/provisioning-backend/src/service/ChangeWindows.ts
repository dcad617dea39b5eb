import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { InputError, NotFoundError } from '@backstage/errors';
import type { ChangeWindowDeclaration } from '@konductor/plugin-provisioning-common';
import { iso } from './database';

const TABLE = 'change_windows';

/** A freeze declared in the portal. */
export interface DeclaredWindow extends ChangeWindowDeclaration {
  id: string;
  declaredBy: string;
  declaredAt: string;
}

function windowOf(row: any): DeclaredWindow {
  return {
    id: row.id,
    description: row.description,
    environments: JSON.parse(row.environments),
    ...(row.operations ? { operations: JSON.parse(row.operations) } : {}),
    from: iso(row.starts_at),
    to: iso(row.ends_at),
    approvers: JSON.parse(row.approvers),
    declaredBy: row.declared_by,
    declaredAt: iso(row.declared_at),
  };
}

/**
 * Change windows (freezes) that platform admins declare in the portal, kept in the database so
 * that every replica holds runs by them and they outlast restarts. A withdrawn one is deleted (the
 * audit trail keeps who withdrew it); one that has ended is no longer read.
 */
export class ChangeWindows {
  constructor(
    private readonly db: Knex,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The windows that have not ended (those in force and those to come), soonest first. */
  async current(): Promise<DeclaredWindow[]> {
    const rows = await this.db(TABLE)
      .where('ends_at', '>', this.now())
      .orderBy([
        { column: 'starts_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ]);
    return rows.map(windowOf);
  }

  /** Declares a window, which must not have ended already. */
  async declare(
    window: ChangeWindowDeclaration,
    declaredBy: string,
  ): Promise<DeclaredWindow> {
    const now = this.now();
    if (Date.parse(window.to) <= now.getTime())
      throw new InputError(
        `to: the freeze would have ended already (${new Date(
          window.to,
        ).toISOString()}): give an end in the future`,
      );
    const id = randomUUID();
    await this.db(TABLE).insert({
      id,
      description: window.description,
      environments: JSON.stringify(window.environments),
      operations: window.operations ? JSON.stringify(window.operations) : null,
      starts_at: new Date(window.from),
      ends_at: new Date(window.to),
      approvers: JSON.stringify(window.approvers),
      declared_by: declaredBy,
      declared_at: now,
    });
    return this.get(id);
  }

  async get(id: string): Promise<DeclaredWindow> {
    const row = await this.db(TABLE).where({ id }).first();
    if (!row)
      throw new NotFoundError(
        `No change window ${id} in the portal (config's windows change with config)`,
      );
    return windowOf(row);
  }

  /** Withdraws a declared window; returns it as it was. */
  async withdraw(id: string): Promise<DeclaredWindow> {
    const window = await this.get(id);
    await this.db(TABLE).where({ id }).delete();
    return window;
  }
}
