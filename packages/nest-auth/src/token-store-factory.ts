import { FileTokenStore, MemoryTokenStore, RedisTokenStore, type TokenStore } from '@acton/oauth-client';
import { relabelConfigurationError, type OptionSource } from './configuration-error';
import type { ResolvedStoreSpec } from './resolve-options';

/** A store built (or adopted) for the module. */
export interface ModuleTokenStore {
  readonly store: TokenStore;
  /** True when the module built the store and so must close it on shutdown; an app's own instance stays open. */
  readonly owned: boolean;
  /** Secret-free description for the startup log line. */
  readonly description: string;
}

/** Option names of the store constructors, mapped to the module options they come from. */
const STORE_OPTION_NAMES: Readonly<Record<string, string>> = {
  path: 'tokenFile',
  url: 'redisUrl',
  client: 'redisUrl',
  prefix: 'redisPrefix',
  encryptionKey: 'encryptionKey',
};

/**
 * Builds the store named by the module options. Constructors validate their own options (encryption key
 * shape, Redis URL, `ioredis` being installed); their errors are re-labelled with the module option's name.
 * No store connects in its constructor (Redis connects lazily), so a failed bootstrap leaves nothing open.
 */
export function createTokenStore(
  spec: ResolvedStoreSpec,
  sources: Readonly<Partial<Record<string, OptionSource>>>,
): ModuleTokenStore {
  try {
    switch (spec.kind) {
      case 'instance':
        return { store: spec.store, owned: false, description: `${spec.store.constructor.name} (given)` };
      case 'memory':
        return { store: new MemoryTokenStore(), owned: true, description: 'memory' };
      case 'file':
        return {
          store: new FileTokenStore({
            path: spec.path,
            ...(spec.encryptionKey === undefined ? {} : { encryptionKey: spec.encryptionKey }),
          }),
          owned: true,
          description: `file ${spec.path}${spec.encryptionKey === undefined ? '' : ' (encrypted)'}`,
        };
      case 'redis':
        return {
          store: new RedisTokenStore({
            url: spec.url,
            ...(spec.prefix === undefined ? {} : { prefix: spec.prefix }),
            ...(spec.encryptionKey === undefined ? {} : { encryptionKey: spec.encryptionKey }),
          }),
          owned: true,
          description: `redis ${redactRedisUrl(spec.url)}${spec.encryptionKey === undefined ? '' : ' (encrypted)'}`,
        };
    }
  } catch (error) {
    throw relabelConfigurationError(error, STORE_OPTION_NAMES, sources);
  }
}

/** `redis://user:***@host:port/db`: Redis URLs often carry a password, and query strings may too. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return '(invalid URL)';
  }
}
