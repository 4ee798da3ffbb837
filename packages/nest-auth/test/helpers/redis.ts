import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The machine's Redis. Tests only touch keys under their own prefix: never flushed, never reconfigured. */
export const REDIS_URL = process.env.ACTON_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * An admin connection for assertions and cleanup. Throws (failing the test) when Redis is unreachable: the
 * Redis tests never skip, with or without CI=true.
 */
export async function connectRedisAdmin(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const target = new URL(REDIS_URL);
    if (target.password !== '') target.password = '***';
    throw new Error(
      `The redis store tests need a Redis server at ${target.href} (set ACTON_REDIS_URL to use another): ` +
        `${error instanceof Error ? error.message : String(error)}. They fail rather than skip.`,
      { cause: error },
    );
  }
  return redis;
}

/** A key prefix no other test or run uses. */
export function uniqueRedisPrefix(label: string): string {
  return `acton-nest-test:${label}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** Keys under `prefix`, without the prefix, sorted. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys = await redis.keys(`${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
  return keys.map((key) => key.slice(prefix.length)).sort();
}

/** Deletes every key under `prefix`. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
  if (keys.length > 0) await redis.del(...keys);
}
