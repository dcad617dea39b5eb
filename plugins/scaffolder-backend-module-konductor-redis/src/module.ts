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
import { cache, CACHE_CHECKS } from './cache';
import { cacheFacts } from './cacheFacts';
import { CacheHandler } from './CacheHandler';

/** The cache kind: its definition, its AWS handler and its compliance checks. */
export const cacheKind = defineResourceKindModule({
  definition: cache,
  handlers: { aws: clients => new CacheHandler(clients) },
  checks: CACHE_CHECKS,
});

/** Adds the `cache` resource kind (ElastiCache for Redis OSS and Valkey) to Konductor's stack actions. */
export const scaffolderModuleKonductorRedis = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'konductor-redis',
  register(reg) {
    reg.registerInit({
      deps: { kinds: provisioningResourceKindsExtensionPoint },
      async init({ kinds }) {
        kinds.addResourceKind(cacheKind);
      },
    });
  },
});

/**
 * Tells the catalog's ServiceDefinition validation about the cache kind, so that a definition's
 * cache resources are checked field by field when it is imported.
 */
export const catalogModuleKonductorRedis = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'konductor-redis',
  register(reg) {
    reg.registerInit({
      deps: { kinds: serviceDefinitionResourceKindsExtensionPoint },
      async init({ kinds }) {
        kinds.addResourceKind(cache);
      },
    });
  },
});
/**
 * Evaluates the caches the catalog holds: the cache checks, with their facts read from ElastiCache.
 */
export const complianceModuleKonductorRedis = createBackendModule({
  pluginId: 'compliance',
  moduleId: 'konductor-redis',
  register(reg) {
    reg.registerInit({
      deps: {
        checks: complianceChecksExtensionPoint,
        sources: complianceFactSourcesExtensionPoint,
        clients: awsClientFactoryServiceRef,
      },
      async init({ checks, sources, clients }) {
        checks.addChecks(...CACHE_CHECKS);
        sources.addFactSource(cacheFacts(clients));
      },
    });
  },
});

/** Both: the kind for the stack actions, its checks and facts for the compliance backend. */
export const konductorRedis = createBackendFeatureLoader({
  loader: () => [
    catalogModuleKonductorRedis,
    scaffolderModuleKonductorRedis,
    complianceModuleKonductorRedis,
  ],
});
