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
    scaffolderModuleKonductorRedis,
    complianceModuleKonductorRedis,
  ],
});
