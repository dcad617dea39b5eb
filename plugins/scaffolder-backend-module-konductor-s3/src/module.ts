import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  defineResourceKindModule,
  provisioningResourceKindsExtensionPoint,
} from '@konductor/plugin-provisioning-node';
import { bucket, BUCKET_CHECKS } from './bucket';
import { BucketHandler } from './BucketHandler';

/** The bucket kind: its definition, its AWS handler and its compliance checks. */
export const bucketKind = defineResourceKindModule({
  definition: bucket,
  aws: clients => new BucketHandler(clients),
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
