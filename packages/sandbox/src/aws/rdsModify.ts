import { ServiceError } from '../types';
import type { SandboxResource } from '../state';
import { el } from './protocol';

/** The settings of an instance a modification changes; those not applied at once wait here. */
export interface PendingValues {
  instanceClass?: string;
  allocatedStorage?: number;
  multiAz?: boolean;
  engineVersion?: string;
  backupRetention?: number;
}

/** What of an RDS instance ModifyDBInstance reads and changes. */
export interface ModifiableInstance extends Required<PendingValues> {
  deletionProtection: boolean;
  maintenanceWindow: string;
  /**
   * Changes being applied now (`ApplyImmediately`): the instance is `modifying` (`upgrading`
   * for an engine version) until `until`, and shows them as its `PendingModifiedValues`. One
   * that `fails` ends `available` with the settings it had, as RDS ends a modification it could
   * not make (no capacity for the class, say).
   */
  modifying?: { until: number; values: PendingValues; fails?: boolean };
  /** Changes waiting for the next maintenance window (shown as `PendingModifiedValues`). */
  pending?: PendingValues;
  /** When its storage was last changed: RDS refuses another change for six hours. */
  storageModifiedAt?: number;
}

/** RDS refuses a further storage change for six hours after one (and while it optimizes). */
export const STORAGE_COOLDOWN_MS = 6 * 3600_000;

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Minutes from Monday 00:00 of `ddd:hh:mm`, or undefined when it is not one. */
function weekMinute(value: string): number | undefined {
  const m = /^([a-z]{3}):(\d\d):(\d\d)$/.exec(value.toLowerCase());
  if (!m || !DAYS.includes(m[1]) || Number(m[2]) > 23 || Number(m[3]) > 59)
    return undefined;
  return DAYS.indexOf(m[1]) * 1440 + Number(m[2]) * 60 + Number(m[3]);
}

/**
 * Refuses a maintenance window RDS refuses: not `ddd:hh24:mi-ddd:hh24:mi`, shorter than 30
 * minutes or longer than 24 hours (the API reference's constraints, moto's messages).
 */
export function checkMaintenanceWindow(window: string): void {
  const [from, to, extra] = window.split('-');
  const [start, end] = [weekMinute(from ?? ''), weekMinute(to ?? '')];
  if (extra !== undefined || start === undefined || end === undefined)
    throw new ServiceError(
      400,
      'InvalidParameterValue',
      `Invalid maintenance window format: ${window}. Should be specified as a range ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC). Example: Sun:23:45-Mon:00:15`,
    );
  const length = (end - start + 7 * 1440) % (7 * 1440);
  if (length < 30)
    throw new ServiceError(
      400,
      'InvalidParameterValue',
      'The maintenance window must be at least 30 minutes.',
    );
  if (length > 1440)
    throw new ServiceError(
      400,
      'InvalidParameterValue',
      'Maintenance window must be less than 24 hours.',
    );
}

const flag = (v: string | undefined) => v === 'true';
const major = (version: string) => version.split('.')[0];
const compareVersions = (a: string, b: string) => {
  const [pa, pb] = [a.split('.').map(Number), b.split('.').map(Number)];
  return pa[0] - pb[0] || (pa[1] ?? 0) - (pb[1] ?? 0);
};

/**
 * Applies a modification whose time has come: the instance is `available` again with its new
 * settings. Returns true when something changed (the caller stores it).
 */
export function settleModification(
  r: SandboxResource<ModifiableInstance>,
  now = Date.now(),
): boolean {
  const m = r.data.modifying;
  if (!m || now < m.until) return false;
  if (!m.fails) Object.assign(r.data, m.values);
  r.data.modifying = undefined;
  return true;
}

/** `modifying`, `upgrading` or undefined (the instance's own lifecycle status then). */
export function modificationStatus(
  d: ModifiableInstance,
): 'modifying' | 'upgrading' | undefined {
  if (!d.modifying) return undefined;
  return d.modifying.values.engineVersion ? 'upgrading' : 'modifying';
}

/** `PendingModifiedValues`: what is being applied now, or waits for the maintenance window. */
export function renderPendingValues(d: ModifiableInstance): string {
  const v = { ...d.pending, ...d.modifying?.values };
  return el(
    'PendingModifiedValues',
    el('DBInstanceClass', v.instanceClass) +
      el('AllocatedStorage', v.allocatedStorage) +
      el('MultiAZ', v.multiAz) +
      el('EngineVersion', v.engineVersion) +
      el('BackupRetentionPeriod', v.backupRetention),
  );
}

/**
 * ModifyDBInstance's settings, as RDS applies them (the user guide's "Settings for DB
 * instances"): deletion protection and the maintenance window at once; a backup retention
 * change between non-zero values at once, to or from 0 (an outage) as the others; instance
 * class, storage (grow only, not within six hours of the last change), Multi-AZ and engine
 * version (minor, or major with AllowMajorVersionUpgrade; never down) with ApplyImmediately as a
 * `modifying` (`upgrading`) period of `durationMs`, otherwise at the next maintenance window.
 */
export function modifyInstance(
  r: SandboxResource<ModifiableInstance>,
  params: Map<string, string>,
  options: {
    durationMs: number;
    versions: string[];
    now?: number;
    /** The modification applied now ends without being made (a `fail` fault). */
    fails?: boolean;
  },
): void {
  const d = r.data;
  const now = options.now ?? Date.now();
  const values: PendingValues = {};
  const instanceClass = params.get('DBInstanceClass');
  if (instanceClass !== undefined && instanceClass !== d.instanceClass) {
    if (!/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(instanceClass))
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Invalid DB Instance class: ${instanceClass}`,
      );
    values.instanceClass = instanceClass;
  }
  const storageParam = params.get('AllocatedStorage');
  if (
    storageParam !== undefined &&
    Number(storageParam) !== d.allocatedStorage
  ) {
    const storage = Number(storageParam);
    if (!Number.isInteger(storage) || storage > 65536)
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        `Invalid storage size for engine name postgres and storage type gp3: ${storageParam}`,
      );
    if (storage < d.allocatedStorage)
      throw new ServiceError(
        400,
        'InvalidParameterCombination',
        `You can't reduce the allocated storage of a DB instance: it has ${d.allocatedStorage} GiB, not less.`,
      );
    if (
      d.storageModifiedAt !== undefined &&
      now - d.storageModifiedAt < STORAGE_COOLDOWN_MS
    )
      throw new ServiceError(
        400,
        'InvalidParameterCombination',
        "You can't currently modify the storage of this DB instance: it was modified in the last six hours.",
      );
    values.allocatedStorage = storage;
  }
  const multiAz = params.get('MultiAZ');
  if (multiAz !== undefined && flag(multiAz) !== d.multiAz)
    values.multiAz = flag(multiAz);
  const version = params.get('EngineVersion');
  if (version !== undefined && version !== d.engineVersion) {
    if (!options.versions.includes(version))
      throw new ServiceError(
        400,
        'InvalidParameterCombination',
        `Cannot find upgrade path from ${d.engineVersion} to ${version}.`,
      );
    if (compareVersions(version, d.engineVersion) < 0)
      throw new ServiceError(
        400,
        'InvalidParameterCombination',
        `Cannot upgrade postgres from ${d.engineVersion} to ${version}`,
      );
    if (
      major(version) !== major(d.engineVersion) &&
      !flag(params.get('AllowMajorVersionUpgrade'))
    )
      throw new ServiceError(
        400,
        'InvalidParameterCombination',
        'The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.',
      );
    values.engineVersion = version;
  }
  const retentionParam = params.get('BackupRetentionPeriod');
  let retentionNow: number | undefined;
  if (retentionParam !== undefined) {
    const retention = Number(retentionParam);
    if (!(Number.isInteger(retention) && retention >= 0 && retention <= 35))
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        'The backup retention period must be between 0 and 35 days.',
      );
    if (retention !== d.backupRetention) {
      // Turning backups on or off restarts the instance: it is applied like a class change.
      if ((retention === 0) !== (d.backupRetention === 0))
        values.backupRetention = retention;
      else retentionNow = retention;
    }
  }
  const window = params.get('PreferredMaintenanceWindow');
  if (window !== undefined) checkMaintenanceWindow(window);

  // Checked: now applied.
  if (params.has('DeletionProtection'))
    d.deletionProtection = flag(params.get('DeletionProtection'));
  if (window !== undefined) d.maintenanceWindow = window.toLowerCase();
  if (retentionNow !== undefined) d.backupRetention = retentionNow;
  if (!Object.keys(values).length) return;
  if (values.allocatedStorage !== undefined) d.storageModifiedAt = now;
  if (flag(params.get('ApplyImmediately'))) {
    const waiting = { ...d.pending, ...values };
    d.pending = undefined;
    d.modifying = {
      until: now + options.durationMs,
      values: waiting,
      fails: options.fails || undefined,
    };
  } else {
    d.pending = { ...d.pending, ...values };
  }
}
