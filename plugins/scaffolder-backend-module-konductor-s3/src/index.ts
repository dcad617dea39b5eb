/**
 * The S3 bucket resource kind for Konductor stacks, as a module of the scaffolder.
 *
 * @packageDocumentation
 */
export { scaffolderModuleKonductorS3 as default } from './module';
export { bucketKind } from './module';
export { bucket, bucketSchema, BUCKET_CHECKS } from './bucket';
export { BucketHandler } from './BucketHandler';
