/**
 * The Redis cache resource kind for Konductor stacks (ElastiCache for Redis OSS and Valkey), as a
 * module of the scaffolder, with its checks and fact source for the compliance backend.
 *
 * @packageDocumentation
 */
export { konductorRedis as default } from './module';
export {
  cacheKind,
  catalogModuleKonductorRedis,
  complianceModuleKonductorRedis,
  scaffolderModuleKonductorRedis,
} from './module';
export { cacheFacts } from './cacheFacts';
export {
  cache,
  cacheSchema,
  CACHE_CHECKS,
  CACHE_ENGINE_VERSIONS,
  CACHE_NODE_HOURLY,
} from './cache';
export { CacheHandler } from './CacheHandler';
