import {
  createBackendFeatureLoader,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  complianceChecksExtensionPoint,
  complianceFactSourcesExtensionPoint,
} from '@konductor/plugin-compliance-node';
import {
  awsClientFactoryServiceRef,
  defineResourceKindModule,
  provisioningResourceKindsExtensionPoint,
  serviceDefinitionResourceKindsExtensionPoint,
} from '@konductor/plugin-provisioning-node';
import { domain, DOMAIN_CHECKS } from './domain';
import { domainFacts } from './domainFacts';
import { DomainHandler } from './DomainHandler';

/** The domain kind: its definition, its AWS handler and its compliance checks. */
export const domainKind = defineResourceKindModule({
  definition: domain,
  handlers: { aws: clients => new DomainHandler(clients) },
  checks: DOMAIN_CHECKS,
});

/** Adds the `domain` resource kind (a Route 53 name with an ACM certificate) to Konductor's stack actions. */
export const scaffolderModuleKonductorDomain = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'konductor-domain',
  register(reg) {
    reg.registerInit({
      deps: { kinds: provisioningResourceKindsExtensionPoint },
      async init({ kinds }) {
        kinds.addResourceKind(domainKind);
      },
    });
  },
});

/**
 * Tells the catalog's ServiceDefinition validation about the domain kind, so that a definition's
 * domain resources are checked field by field when it is imported.
 */
export const catalogModuleKonductorDomain = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'konductor-domain',
  register(reg) {
    reg.registerInit({
      deps: { kinds: serviceDefinitionResourceKindsExtensionPoint },
      async init({ kinds }) {
        kinds.addResourceKind(domain);
      },
    });
  },
});
/**
 * Evaluates the domains the catalog holds: the domain checks, with their facts read from ACM.
 */
export const complianceModuleKonductorDomain = createBackendModule({
  pluginId: 'compliance',
  moduleId: 'konductor-domain',
  register(reg) {
    reg.registerInit({
      deps: {
        checks: complianceChecksExtensionPoint,
        sources: complianceFactSourcesExtensionPoint,
        clients: awsClientFactoryServiceRef,
      },
      async init({ checks, sources, clients }) {
        checks.addChecks(...DOMAIN_CHECKS);
        sources.addFactSource(domainFacts(clients));
      },
    });
  },
});

/** Both: the kind for the stack actions, its checks and facts for the compliance backend. */
export const konductorDomain = createBackendFeatureLoader({
  loader: () => [
    catalogModuleKonductorDomain,
    scaffolderModuleKonductorDomain,
    complianceModuleKonductorDomain,
  ],
});
