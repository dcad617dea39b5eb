/**
 * The S3 bucket resource kind for Konductor stacks, as a module of the scaffolder.
 *
 * @packageDocumentation
 */
export { konductorS3 as default } from './module';
export {
  bucketKind,
  catalogModuleKonductorS3,
  complianceModuleKonductorS3,
  scaffolderModuleKonductorS3,
} from './module';
export { bucketFacts } from './bucketFacts';
export { bucket, bucketSchema, BUCKET_CHECKS } from './bucket';
export { BucketHandler } from './BucketHandler';
