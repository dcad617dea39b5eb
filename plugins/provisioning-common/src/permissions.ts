import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Reading every provisioning run, whoever started it (platform admins). Without it, a user reads
 * the runs they started and the runs of entities they may read.
 */
export const provisioningRunReadPermission = createPermission({
  name: 'provisioning.run.read',
  attributes: { action: 'read' },
});

/** Cancelling a running provisioning run (its scaffolder task). */
export const provisioningRunCancelPermission = createPermission({
  name: 'provisioning.run.cancel',
  attributes: { action: 'update' },
});

/** Retrying a finished provisioning run (its scaffolder task). */
export const provisioningRunRetryPermission = createPermission({
  name: 'provisioning.run.retry',
  attributes: { action: 'update' },
});

/** Every permission the provisioning plugins define. */
export const provisioningPermissions = [
  provisioningRunReadPermission,
  provisioningRunCancelPermission,
  provisioningRunRetryPermission,
];
