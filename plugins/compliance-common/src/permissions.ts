import { createPermission } from '@backstage/plugin-permission-common';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';

/**
 * Requesting an exemption: waiving a check for an entity, with a justification and an expiry. A
 * `catalog-entity` resource permission, so a policy can allow it for the entity's owners with
 * the catalog's own `isEntityOwner` rule.
 */
export const complianceExemptionCreatePermission = createPermission({
  name: 'compliance.exemption.create',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Deciding a requested exemption (never one's own request): approving it, after which it waives
 * the check, or rejecting it with a comment.
 */
export const complianceExemptionApprovePermission = createPermission({
  name: 'compliance.exemption.approve',
  attributes: { action: 'update' },
});

/** Withdrawing an exemption of an entity before it expires. */
export const complianceExemptionDeletePermission = createPermission({
  name: 'compliance.exemption.delete',
  attributes: { action: 'delete' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Every permission the compliance plugins define. */
export const compliancePermissions = [
  complianceExemptionCreatePermission,
  complianceExemptionApprovePermission,
  complianceExemptionDeletePermission,
];
