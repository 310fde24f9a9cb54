export { CacheFullError, CacheUnavailableError } from './cache.js';
export type { Cache, TtlOptions } from './cache.js';
export { createMemoryCache } from './memory-cache.js';
export type { MemoryCacheOptions } from './memory-cache.js';
export { createRedisClient } from './redis-client.js';
export type { Redis, RedisClientOptions } from './redis-client.js';
export { createRedisCache } from './redis-cache.js';
export { RedisEvictionPolicyError, assertRedisNoEviction } from './redis-eviction.js';
export type { EvictionCheckLogger } from './redis-eviction.js';
export type { RedisCache, RedisCacheOptions } from './redis-cache.js';
export { createRateLimiter } from './rate-limiter.js';
export type {
  RateLimiter,
  RateLimiterOptions,
  RateLimitResult,
  StoreErrorPolicy,
} from './rate-limiter.js';
export { rateLimitHeaders } from './rate-limit-headers.js';
export type { NamedRateLimitResult } from './rate-limit-headers.js';
export { clientKey, INVALID_CLIENT_KEY } from './client-key.js';
export type { ListStore } from './list-store.js';
export { createMemoryListStore } from './memory-list-store.js';
export { createRedisListStore } from './redis-list-store.js';
