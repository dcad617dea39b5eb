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
import { bucket, BUCKET_CHECKS } from './bucket';
import { bucketFacts } from './bucketFacts';
import { BucketHandler } from './BucketHandler';

/** The bucket kind: its definition, its AWS handler and its compliance checks. */
export const bucketKind = defineResourceKindModule({
  definition: bucket,
  handlers: { aws: clients => new BucketHandler(clients) },
  checks: BUCKET_CHECKS,
});

/** Adds the `bucket` resource kind to Konductor's stack actions. */
export const scaffolderModuleKonductorS3 = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'konductor-s3',
  register(reg) {
    reg.registerInit({
      deps: { kinds: provisioningResourceKindsExtensionPoint },
      async init({ kinds }) {
        kinds.addResourceKind(bucketKind);
      },
    });
  },
});

/**
 * Tells the catalog's ServiceDefinition validation about the bucket kind, so that a definition's
 * bucket resources are checked field by field when it is imported.
 */
export const catalogModuleKonductorS3 = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'konductor-s3',
  register(reg) {
    reg.registerInit({
      deps: { kinds: serviceDefinitionResourceKindsExtensionPoint },
      async init({ kinds }) {
        kinds.addResourceKind(bucket);
      },
    });
  },
});
/**
 * Evaluates the buckets the catalog holds: the bucket checks, with their facts read from S3.
 */
export const complianceModuleKonductorS3 = createBackendModule({
  pluginId: 'compliance',
  moduleId: 'konductor-s3',
  register(reg) {
    reg.registerInit({
      deps: {
        checks: complianceChecksExtensionPoint,
        sources: complianceFactSourcesExtensionPoint,
        clients: awsClientFactoryServiceRef,
      },
      async init({ checks, sources, clients }) {
        checks.addChecks(...BUCKET_CHECKS);
        sources.addFactSource(bucketFacts(clients));
      },
    });
  },
});

/** Both: the kind for the stack actions, its checks and facts for the compliance backend. */
export const konductorS3 = createBackendFeatureLoader({
  loader: () => [
    catalogModuleKonductorS3,
    scaffolderModuleKonductorS3,
    complianceModuleKonductorS3,
  ],
});
