import { createPermission } from '@backstage/plugin-permission-common';

/**
 * The permission resource type of a stack. Its resource ref is the stack's
 * `<accountId>/<region>/<stackId>` ({@link stackRefOf}); its rules (`provisioning-node`) match the
 * stack's owner and environment, so a policy can answer "members of the owning group only".
 * Runs are authorized as the stack they belong to.
 */
export const RESOURCE_TYPE_PROVISIONING_STACK = 'provisioning-stack';

/** Seeing that a stack exists, its runs, their status and event log (without outputs). */
export const provisioningStackReadPermission = createPermission({
  name: 'provisioning.stack.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_PROVISIONING_STACK,
});

/** Reading a stack's outputs (ids, endpoints, ARNs) in its runs and through `konductor:stack:outputs`. */
export const provisioningStackOutputsReadPermission = createPermission({
  name: 'provisioning.stack.outputs.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_PROVISIONING_STACK,
});

/**
 * Claiming a new stack for an owner: evaluated on the stack as it would be, so "owned by one of
 * the user's groups" means the requester belongs to the owner they picked.
 */
export const provisioningStackCreatePermission = createPermission({
  name: 'provisioning.stack.create',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_PROVISIONING_STACK,
});

/** Provisioning an existing stack again (a change of what it has). */
export const provisioningStackUpdatePermission = createPermission({
  name: 'provisioning.stack.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_PROVISIONING_STACK,
});

/** Destroying a stack (`konductor:stack:destroy`) and releasing its name. */
export const provisioningStackDestroyPermission = createPermission({
  name: 'provisioning.stack.destroy',
  attributes: { action: 'delete' },
  resourceType: RESOURCE_TYPE_PROVISIONING_STACK,
});

/** Cancelling a running run of a stack (its scaffolder task). */
export const provisioningRunCancelPermission = createPermission({
  name: 'provisioning.run.cancel',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_PROVISIONING_STACK,
});

/** Retrying a finished run of a stack (its scaffolder task resumes from its checkpoints). */
export const provisioningRunRetryPermission = createPermission({
  name: 'provisioning.run.retry',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_PROVISIONING_STACK,
});

/** Every permission the provisioning plugins define. */
export const provisioningPermissions = [
  provisioningStackReadPermission,
  provisioningStackOutputsReadPermission,
  provisioningStackCreatePermission,
  provisioningStackUpdatePermission,
  provisioningStackDestroyPermission,
  provisioningRunCancelPermission,
  provisioningRunRetryPermission,
];
