import { createPermission } from '@backstage/plugin-permission-common';

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
  provisioningRunCancelPermission,
  provisioningRunRetryPermission,
];
