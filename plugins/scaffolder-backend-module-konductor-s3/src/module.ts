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
  loader: () => [scaffolderModuleKonductorS3, complianceModuleKonductorS3],
});
