/*
 * The core's Redis test helpers, under the names these tests use: the machine's Redis (ACTON_REDIS_URL), an admin
 * connection that fails (never skips) when Redis is unreachable, unique key prefixes, listing and cleanup.
 */
export {
  REDIS_URL,
  connectAdmin as connectRedisAdmin,
  deleteKeys as deleteKeysUnder,
  listKeys as keysUnder,
  uniquePrefix as uniqueRedisPrefix,
} from '../../../oauth-client/test/redis/redis-helpers';
