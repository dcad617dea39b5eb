import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { AnyKindDefinition } from '@konductor/plugin-provisioning-common';
import type { ComplianceCheck } from '@konductor/plugin-compliance-common';
import type { AwsClients } from './aws/AwsClients';
import type { ResourceHandler } from './provider';

/**
 * What each cloud provider gives the handlers of its kinds, by provider id: the AWS provider its
 * shared clients and waiter. A module that adds a provider adds its entry by declaration merging,
 * `declare module '@konductor/plugin-provisioning-node' { interface ProviderServices { gcp: … } }`,
 * so kind modules can give a typed handler for it.
 */
export interface ProviderServices {
  aws: AwsClients;
}

/**
 * A resource kind a module adds: its definition (schema, outputs, dependencies, plan, cost,
 * catalog type, planned compliance facts), its handler on each provider that can create it and
 * the compliance checks of its catalog type.
 */
export interface ResourceKindModule<
  D extends AnyKindDefinition = AnyKindDefinition,
> {
  definition: D;
  /**
   * Its handler on each provider, by provider id, built on that provider's services; a stack
   * whose target is a provider without one is refused naming the kinds the provider has.
   */
  handlers: {
    [P in keyof ProviderServices]?: (
      services: ProviderServices[P],
    ) => ResourceHandler<D>;
  };
  /**
   * The compliance checks of its catalog type: the gate evaluates them on a stack spec before
   * anything is created. (To evaluate what exists, register them with the compliance backend too,
   * through `complianceChecksExtensionPoint`.)
   */
  checks?: ComplianceCheck[];
}

/** Declares a resource kind module, keeping its definition's exact types. */
export const defineResourceKindModule = <D extends AnyKindDefinition>(
  module: ResourceKindModule<D>,
) => module;

/** Adds resource kinds to Konductor's stack actions. */
export interface ProvisioningResourceKindsExtensionPoint {
  addResourceKind(...kinds: ResourceKindModule<any>[]): void;
}

/**
 * The extension point of Konductor's resource kinds, provided by its scaffolder module
 * (`@konductor/plugin-scaffolder-backend-module-konductor`) for other modules of the scaffolder
 * plugin: `reg.registerInit({ deps: { kinds: provisioningResourceKindsExtensionPoint }, ... })`.
 */
export const provisioningResourceKindsExtensionPoint =
  createExtensionPoint<ProvisioningResourceKindsExtensionPoint>({
    id: 'konductor.resource-kinds',
  });

/** Tells the catalog's ServiceDefinition validation about resource kinds a module adds. */
export interface ServiceDefinitionResourceKindsExtensionPoint {
  addResourceKind(...definitions: AnyKindDefinition[]): void;
}

/**
 * The extension point through which a module of the catalog plugin gives Konductor's
 * ServiceDefinition validation (`@konductor/plugin-catalog-backend-module-konductor`) the
 * definitions of the kinds it adds, so that a definition's resources of those kinds are checked
 * field by field when it is imported, as the built-in kinds' are. A kind module registers its
 * definition here and with {@link provisioningResourceKindsExtensionPoint}.
 */
export const serviceDefinitionResourceKindsExtensionPoint =
  createExtensionPoint<ServiceDefinitionResourceKindsExtensionPoint>({
    id: 'konductor.service-definition-resource-kinds',
  });
