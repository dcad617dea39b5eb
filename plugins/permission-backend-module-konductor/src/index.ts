/**
 * Konductor's permission policy, as a module of Backstage's permission backend.
 *
 * @packageDocumentation
 */
export { permissionModuleKonductorPolicy as default } from './module';
export {
  CachedPermissionsService,
  cachedPermissionsServiceFactory,
} from './cachedPermissions';
export {
  KonductorPermissionPolicy,
  OWNER_ACTIONS,
  policyOptionsFromConfig,
} from './policy';
export type { KonductorPolicyOptions, OwnerAction } from './policy';
