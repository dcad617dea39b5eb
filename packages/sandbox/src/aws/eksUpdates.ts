import { randomUUID } from 'node:crypto';
import { ServiceError } from '../types';

/** A managed node group's scaling configuration. */
export interface Scaling {
  minSize: number;
  maxSize: number;
  desiredSize: number;
}

/** Why an update failed, as DescribeUpdate lists it (`errors`). */
export interface EksUpdateError {
  errorCode: string;
  errorMessage: string;
}

/**
 * One EKS update of a cluster or node group (UpdateClusterVersion, UpdateNodegroupConfig,
 * UpdateNodegroupVersion): `InProgress` until `until`, then `Successful` with `changes` applied,
 * or `Failed` with its errors and nothing changed (a `fail` fault rule on the operation).
 */
export interface EksUpdate {
  id: string;
  type: 'VersionUpdate' | 'ConfigUpdate';
  params: { type: string; value: string }[];
  createdAt: number;
  until: number;
  changes: Record<string, unknown>;
  applied?: boolean;
  failure?: EksUpdateError;
}

/** What of a cluster or node group its updates read and change. */
export interface Updatable {
  updates?: EksUpdate[];
}

/** EKS's update lifecycle of one cluster or node group. */
export const eksUpdates = {
  /** The update in progress, if any. */
  inProgress(target: Updatable, now = Date.now()): EksUpdate | undefined {
    return target.updates?.find(u => now < u.until);
  },

  /** Applies the updates whose time has come; true when something changed (the caller stores it). */
  settle(target: Updatable, now = Date.now()): boolean {
    let changed = false;
    for (const u of target.updates ?? [])
      if (!u.applied && now >= u.until) {
        if (!u.failure) Object.assign(target, u.changes);
        u.applied = true;
        changed = true;
      }
    return changed;
  },

  /**
   * Starts an update of `target`, refused while another is in progress; with `failure` it ends
   * `Failed` and changes nothing.
   */
  start(
    target: Updatable,
    update: Pick<EksUpdate, 'type' | 'params' | 'changes'>,
    durationMs: number,
    failure?: EksUpdateError,
    now = Date.now(),
  ): EksUpdate {
    if (eksUpdates.inProgress(target, now))
      throw new ServiceError(
        409,
        'ResourceInUseException',
        'An update is already in progress; wait for it to finish.',
      );
    const started = {
      ...update,
      id: randomUUID(),
      createdAt: now,
      until: now + durationMs,
      ...(failure ? { failure } : {}),
    };
    target.updates = [...(target.updates ?? []), started];
    return started;
  },

  /** An update as DescribeUpdate answers it. */
  render(u: EksUpdate, now = Date.now()) {
    const ended = now >= u.until;
    let status = 'InProgress';
    if (ended) status = u.failure ? 'Failed' : 'Successful';
    return {
      id: u.id,
      status,
      type: u.type,
      params: u.params,
      createdAt: u.createdAt / 1000,
      errors: ended && u.failure ? [{ ...u.failure, resourceIds: [] }] : [],
    };
  },
};

/** Refuses a scaling configuration EKS refuses (the bounds and the desired size between them). */
export function checkScaling(s: Scaling): void {
  if (
    !(
      s.minSize >= 0 &&
      s.maxSize >= 1 &&
      s.minSize <= s.maxSize &&
      s.desiredSize >= s.minSize &&
      s.desiredSize <= s.maxSize
    )
  )
    throw new ServiceError(
      400,
      'InvalidParameterException',
      `Minimum capacity ${s.minSize} can't be greater than desired size ${s.desiredSize} or maximum capacity ${s.maxSize}.`,
    );
}

const minor = (version: string) => Number(version.split('.')[1]);

/**
 * Refuses a cluster version update EKS refuses (its user guide: one minor version at a time,
 * never down, with every managed node group at the cluster's version first).
 */
export function checkVersionUpdate(
  current: string,
  wanted: string,
  versions: string[],
  nodegroupVersions: { name: string; version: string }[],
): void {
  if (!versions.includes(wanted))
    throw new ServiceError(
      400,
      'InvalidParameterException',
      `unsupported Kubernetes version ${wanted}`,
    );
  if (minor(wanted) !== minor(current) + 1)
    throw new ServiceError(
      400,
      'InvalidParameterException',
      `Unsupported Kubernetes minor version update from ${current} to ${wanted}`,
    );
  const behind = nodegroupVersions.filter(n => n.version !== current);
  if (behind.length)
    throw new ServiceError(
      400,
      'InvalidRequestException',
      `Nodegroups ${behind
        .map(n => n.name)
        .join(
          ', ',
        )} must be updated to match cluster version ${current} before updating cluster version`,
    );
}
