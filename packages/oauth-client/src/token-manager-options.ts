import { validateDurationMs, type ActOnClientOptions } from './client-options';
import { DEFAULT_RETRY, type ResolvedRetryOptions, type RetryOptions } from './backoff';
import { ActOnConfigurationError } from './errors';
import type { ActOnCredentials } from './oauth-client';
import type { TokenStore } from './token-store';

/** Where the manager finds a username and password when an account has no usable pair. */
export type CredentialsOption =
  | ActOnCredentials
  | ((account: string) => Promise<ActOnCredentials | undefined> | ActOnCredentials | undefined);

/** Minimal logger; `console` fits, and so does a Nest `Logger` adapter. Lines never carry secrets. */
export interface ActOnLogger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}

/** The local login budget: Act-On allows 5 password or code grants per hour per account. */
export interface AuthBudgetOptions {
  readonly limit: number;
  readonly windowMs: number;
}

/** Options of {@link ActOnTokenManager}: the client's options plus storage and policy. */
export interface ActOnTokenManagerOptions extends ActOnClientOptions {
  /** Where pairs, the budget ledger and locks live. Default: a `FileTokenStore` in a per-user data directory. */
  readonly store?: TokenStore;
  /** Lets the manager log in by itself when an account has no usable pair. A plain object applies to the default account. */
  readonly credentials?: CredentialsOption;
  /** Refresh this long before expiry. Default 5 minutes (never more than half a token's lifetime). */
  readonly refreshSkewMs?: number;
  /** Local password/code grant budget per account. Default `{ limit: 5, windowMs: 3_600_000 }`. */
  readonly authBudget?: AuthBudgetOptions;
  /** Refresh in the background before expiry, on a timer that never keeps the process alive. Default false. */
  readonly backgroundRefresh?: boolean;
  /** Retry policy for transient refresh failures. */
  readonly retry?: RetryOptions;
  /** How long a caller waits for another process's grant before `ActOnLockTimeoutError`. Default: lease + 5 s. */
  readonly lockWaitTimeoutMs?: number;
  /** Account key used when a method gets none. Default `'default'`. */
  readonly defaultAccount?: string;
  /** Receives secret-free log lines. Default: none. */
  readonly logger?: ActOnLogger;
}

export const DEFAULT_REFRESH_SKEW_MS = 5 * 60_000;
export const DEFAULT_AUTH_BUDGET: AuthBudgetOptions = Object.freeze({ limit: 5, windowMs: 3_600_000 });
const DAY_MS = 24 * 3_600_000;

/** Manager options after validation (client options are validated by the client itself). */
export interface ResolvedManagerPolicy {
  readonly refreshSkewMs: number;
  readonly authBudget: AuthBudgetOptions;
  readonly backgroundRefresh: boolean;
  readonly retry: ResolvedRetryOptions;
  readonly lockWaitTimeoutMs: number | undefined;
  readonly defaultAccount: string;
}

/** A username and password, both non-empty strings. */
export function isCredentials(value: unknown): value is ActOnCredentials {
  const candidate = value as Partial<ActOnCredentials> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.username === 'string' &&
    candidate.username !== '' &&
    typeof candidate.password === 'string' &&
    candidate.password !== ''
  );
}

function validateCount(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ActOnConfigurationError(option, `${option} must be an integer between ${min} and ${max}`);
  }
  return value;
}

/** Validates the manager's own options (the client validates its options itself), once, at construction. Errors name the option and never echo a value. */
export function resolveManagerPolicy(options: ActOnTokenManagerOptions): ResolvedManagerPolicy {
  const refreshSkewMs =
    options.refreshSkewMs === undefined
      ? DEFAULT_REFRESH_SKEW_MS
      : options.refreshSkewMs === 0
        ? 0
        : validateDurationMs(options.refreshSkewMs, 'refreshSkewMs', DAY_MS);
  let authBudget = DEFAULT_AUTH_BUDGET;
  if (options.authBudget !== undefined) {
    if (options.authBudget === null || typeof options.authBudget !== 'object') {
      throw new ActOnConfigurationError('authBudget', 'authBudget must be an object { limit, windowMs }');
    }
    authBudget = {
      limit: validateCount(options.authBudget.limit, 'authBudget.limit', 1, 1000),
      windowMs: validateDurationMs(options.authBudget.windowMs, 'authBudget.windowMs', 7 * DAY_MS),
    };
  }
  if (options.backgroundRefresh !== undefined && typeof options.backgroundRefresh !== 'boolean') {
    throw new ActOnConfigurationError('backgroundRefresh', 'backgroundRefresh must be a boolean');
  }
  const retry: ResolvedRetryOptions = {
    maxAttempts:
      options.retry?.maxAttempts === undefined
        ? DEFAULT_RETRY.maxAttempts
        : validateCount(options.retry.maxAttempts, 'retry.maxAttempts', 1, 10),
    baseDelayMs:
      options.retry?.baseDelayMs === undefined
        ? DEFAULT_RETRY.baseDelayMs
        : validateDurationMs(options.retry.baseDelayMs, 'retry.baseDelayMs', 60_000),
    maxDelayMs:
      options.retry?.maxDelayMs === undefined
        ? DEFAULT_RETRY.maxDelayMs
        : validateDurationMs(options.retry.maxDelayMs, 'retry.maxDelayMs', 300_000),
  };
  const lockWaitTimeoutMs =
    options.lockWaitTimeoutMs === undefined
      ? undefined
      : validateDurationMs(options.lockWaitTimeoutMs, 'lockWaitTimeoutMs', 10 * 60_000);
  const defaultAccount = options.defaultAccount ?? 'default';
  if (typeof defaultAccount !== 'string' || defaultAccount === '') {
    throw new ActOnConfigurationError('defaultAccount', 'defaultAccount must be a non-empty string');
  }
  const credentials = options.credentials;
  if (credentials !== undefined && typeof credentials !== 'function') {
    if (!isCredentials(credentials)) {
      throw new ActOnConfigurationError(
        'credentials',
        'credentials must be { username, password } with non-empty strings, or a function (account) => credentials',
      );
    }
  }
  const store = options.store;
  if (store !== undefined) {
    const methods = ['get', 'set', 'delete', 'reserveAuthAttempt', 'withLock', 'close'] as const;
    const missing = methods.filter(
      (method) => typeof (store as unknown as Record<string, unknown>)?.[method] !== 'function',
    );
    if (missing.length > 0) {
      throw new ActOnConfigurationError(
        'store',
        `store does not implement TokenStore (missing ${missing.join(', ')})`,
      );
    }
  }
  return {
    refreshSkewMs,
    authBudget,
    backgroundRefresh: options.backgroundRefresh ?? false,
    retry,
    lockWaitTimeoutMs,
    defaultAccount,
  };
}
