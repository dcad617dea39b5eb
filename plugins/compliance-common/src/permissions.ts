import { createPermission } from '@backstage/plugin-permission-common';

/** Waiving a check for an entity (with a justification and an expiry). */
export const complianceExemptionCreatePermission = createPermission({
  name: 'compliance.exemption.create',
  attributes: { action: 'create' },
});

/** Withdrawing an exemption before it expires. */
export const complianceExemptionDeletePermission = createPermission({
  name: 'compliance.exemption.delete',
  attributes: { action: 'delete' },
});

/** Every permission the compliance plugins define. */
export const compliancePermissions = [
  complianceExemptionCreatePermission,
  complianceExemptionDeletePermission,
];
