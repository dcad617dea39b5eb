import type { Knex } from 'knex';
import {
  isDrifted,
  type DriftReport,
  type ResourceDrift,
  type StackDrift,
  type StackKey,
} from '@konductor/plugin-provisioning-common';
import { iso, stackKeyColumns as keyOf } from './database';

/**
 * What the drift scans found of each stack, on SQLite or PostgreSQL: the last report, with when
 * each drifted attribute was first seen (kept while the attribute stays drifted), and the scan
 * someone asked for that has not reported yet.
 */
export class StackDriftStore {
  constructor(private readonly db: Knex) {}

  /** The stack's last scan, and any scan asked for since; undefined when neither. */
  async get(key: StackKey): Promise<StackDrift | undefined> {
    const row = await this.db('stack_drift').where(keyOf(key)).first();
    if (!row) return undefined;
    return {
      version: row.version === null ? undefined : Number(row.version),
      scannedAt: row.scanned_at ? iso(row.scanned_at) : undefined,
      resources: row.resources ? JSON.parse(row.resources) : [],
      ...(row.scan_requested_at
        ? { scanRequestedAt: iso(row.scan_requested_at) }
        : {}),
    };
  }

  /**
   * Stores a scan's findings as the stack's last, keeping the first-seen time of each attribute
   * that was already drifted, and answers what is stored. A scan someone asked for before this one
   * started is answered by it.
   */
  async report(key: StackKey, report: DriftReport): Promise<StackDrift> {
    const scannedAt = new Date(report.scannedAt);
    await this.db.transaction(async tx => {
      const previous = await tx('stack_drift').where(keyOf(key)).first();
      const seen = new Map<string, string>();
      for (const r of (previous?.resources
        ? JSON.parse(previous.resources)
        : []) as ResourceDrift[])
        for (const a of r.attributes)
          seen.set(`${r.resource}.${a.field}`, a.firstSeenAt);
      const resources: ResourceDrift[] = report.resources.map(r => ({
        ...r,
        attributes: r.attributes.map(a => ({
          ...a,
          firstSeenAt:
            seen.get(`${r.resource}.${a.field}`) ?? scannedAt.toISOString(),
        })),
      }));
      const requested = previous?.scan_requested_at
        ? new Date(iso(previous.scan_requested_at))
        : undefined;
      const row = {
        version: report.version,
        scanned_at: scannedAt,
        resources: JSON.stringify(resources),
        scan_requested_at:
          requested && requested > scannedAt ? requested : null,
      };
      if (previous) await tx('stack_drift').where(keyOf(key)).update(row);
      else await tx('stack_drift').insert({ ...keyOf(key), ...row });
      await tx('stacks')
        .where(keyOf(key))
        .update({ drifted: resources.some(isDrifted) });
    });
    return (await this.get(key))!;
  }

  /** Records that someone asked for a scan of the stack now (shown until a scan reports). */
  async requestScan(key: StackKey, at: Date): Promise<void> {
    await this.db('stack_drift')
      .insert({ ...keyOf(key), scan_requested_at: at })
      .onConflict(['account_id', 'region', 'stack_id'])
      .merge(['scan_requested_at']);
  }

  /** Forgets a destroyed stack's drift (in `tx`, with the stack). */
  static async forget(tx: Knex, key: StackKey): Promise<void> {
    await tx('stack_drift').where(keyOf(key)).delete();
  }
}
