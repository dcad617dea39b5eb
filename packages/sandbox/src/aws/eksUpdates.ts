import { randomUUID } from 'node:crypto';
import { ServiceError } from '../types';

/** A managed node group's scaling configuration. */
export interface Scaling {
  minSize: number;
  maxSize: number;
  desiredSize: number;
}

/** One UpdateNodegroupConfig: in progress until `until`, then applied (`Successful`). */
export interface NodegroupUpdate {
  id: string;
  type: 'ConfigUpdate';
  params: { type: string; value: string }[];
  createdAt: number;
  until: number;
  scaling: Scaling;
  applied?: boolean;
}

/** What of a node group its updates read and change. */
export interface UpdatableNodegroup {
  scaling: Scaling;
  updates?: NodegroupUpdate[];
}

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

/** The update in progress, if any. */
export function updateInProgress(
  n: UpdatableNodegroup,
  now = Date.now(),
): NodegroupUpdate | undefined {
  return n.updates?.find(u => now < u.until);
}

/** Applies the updates whose time has come; true when something changed (the caller stores it). */
export function settleUpdates(
  n: UpdatableNodegroup,
  now = Date.now(),
): boolean {
  let changed = false;
  for (const u of n.updates ?? [])
    if (!u.applied && now >= u.until) {
      n.scaling = u.scaling;
      u.applied = true;
      changed = true;
    }
  return changed;
}

/** An update as DescribeUpdate answers it. */
export function renderUpdate(u: NodegroupUpdate, now = Date.now()) {
  return {
    id: u.id,
    status: now < u.until ? 'InProgress' : 'Successful',
    type: u.type,
    params: u.params,
    createdAt: u.createdAt / 1000,
    errors: [],
  };
}

/**
 * UpdateNodegroupConfig's scaling configuration, as EKS applies it: the node group `UPDATING`
 * for `durationMs` while an update, whose id DescribeUpdate follows, is `InProgress`, then
 * `ACTIVE` with the new sizes. Refused while the node group is not ACTIVE or another update is in
 * progress, and for sizes EKS refuses; unset sizes keep their values. Labels, taints and the
 * update configuration are not modelled and refused.
 */
export function updateNodegroupConfig(
  n: UpdatableNodegroup,
  status: string,
  body: Record<string, any>,
  options: { durationMs: number; now?: number },
): NodegroupUpdate {
  const now = options.now ?? Date.now();
  const unsupported = ['labels', 'taints', 'updateConfig', 'nodeRepairConfig'];
  const asked = unsupported.filter(k => body[k] !== undefined);
  if (asked.length)
    throw new ServiceError(
      400,
      'InvalidParameterException',
      `The sandbox does not model ${asked.join(', ')} updates of a node group.`,
    );
  if (!body.scalingConfig)
    throw new ServiceError(
      400,
      'InvalidParameterException',
      'No changes needed',
    );
  if (status !== 'ACTIVE' || updateInProgress(n, now))
    throw new ServiceError(
      409,
      'ResourceInUseException',
      'Nodegroup cannot be updated while it is not in ACTIVE status or an update is in progress.',
    );
  const scaling = { ...n.scaling, ...body.scalingConfig } as Scaling;
  checkScaling(scaling);
  const params = (
    [
      ['MinSize', 'minSize'],
      ['MaxSize', 'maxSize'],
      ['DesiredSize', 'desiredSize'],
    ] as const
  )
    .filter(([, key]) => body.scalingConfig[key] !== undefined)
    .map(([type, key]) => ({ type, value: String(scaling[key]) }));
  const update: NodegroupUpdate = {
    id: randomUUID(),
    type: 'ConfigUpdate',
    params,
    createdAt: now,
    until: now + options.durationMs,
    scaling,
  };
  n.updates = [...(n.updates ?? []), update];
  return update;
}
