import { Inject, Injectable } from '@nestjs/common';
import type { TokenSet } from '@acton/oauth-client';
import { ACTON_AUTH_RUNTIME } from './acton-auth.constants';
import { ActOnAuthRuntime } from './acton-auth-runtime';
import { describeError } from './describe-error';

/**
 * What an account's token looks like to the health indicator.
 * - `valid`: the access token has not expired.
 * - `refreshable`: it has expired, but the refresh token is young enough; the next call rotates the pair.
 * - `stale`: the refresh token went unused for 30 days, after which Act-On lets it die.
 * - `missing`: no pair is stored.
 * - `reauthorization_required`: the manager gave up on the account; a human must sign in again.
 * - `error`: the store could not be read, or (with `ensureToken`) no token could be obtained.
 */
export type ActOnAccountTokenState =
  'valid' | 'refreshable' | 'stale' | 'missing' | 'reauthorization_required' | 'error';

/** One account in the indicator's details. Never carries a token. */
export interface ActOnAccountHealth {
  readonly state: ActOnAccountTokenState;
  /** True for `valid` and `refreshable`: calls for this account are expected to succeed. */
  readonly usable: boolean;
  /** When the access token expires (ISO 8601), when a pair is stored. */
  readonly expiresAt?: string;
  /** Why the account is not usable, in secret-free words. */
  readonly reason?: string;
}

/**
 * The indicator's result: `{ [key]: { status: 'up' | 'down', accounts } }`, the shape of terminus's
 * `HealthIndicatorResult`, so it goes straight into `HealthCheckService.check()`.
 */
export type ActOnHealthIndicatorResult<Key extends string = string> = {
  [K in Key]: { status: 'up' | 'down'; accounts: Record<string, ActOnAccountHealth> };
};

/** Options of {@link ActOnHealthIndicator.isHealthy}. */
export interface ActOnHealthCheckOptions {
  /** Accounts to report. Default: the module's `accounts` (the default account unless configured). */
  readonly accounts?: readonly string[];
  /**
   * Obtain a working token for each account (refreshing a due pair, or logging in within the login budget
   * when none is stored) instead of only inspecting the stored pair. Default `false`: a probe that runs every
   * few seconds should not cause grants.
   */
  readonly ensureToken?: boolean;
}

/** Act-On lets a refresh token die after about a month unused (ACTON.md, token rule 4). */
const REFRESH_TOKEN_LIFETIME_MS = 30 * 24 * 3_600_000;

/**
 * A health indicator for `@nestjs/terminus`: up when every configured account holds a usable token.
 *
 * It does not import `@nestjs/terminus`: terminus 11 judges an indicator by the `status` of the object it
 * returns (`'up'` or `'down'`), so returning that plain shape is all it takes. The package therefore loads,
 * and the indicator is injectable, whether or not the optional peer is installed.
 *
 * @example
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.acton.isHealthy('acton')]);
 * }
 * ```
 */
@Injectable()
export class ActOnHealthIndicator {
  constructor(@Inject(ACTON_AUTH_RUNTIME) private readonly runtime: ActOnAuthRuntime) {}

  /**
   * Reports every account: `status` is `'up'` when all are usable, `'down'` otherwise; never throws for a bad
   * account (terminus turns `'down'` into a 503).
   *
   * @param key - the key of the result in terminus's report, default `'acton'`
   */
  async isHealthy<const Key extends string = 'acton'>(
    key: Key = 'acton' as Key,
    options: ActOnHealthCheckOptions = {},
  ): Promise<ActOnHealthIndicatorResult<Key>> {
    const accountKeys = options.accounts ?? this.runtime.options.accounts;
    const entries = await Promise.all(
      accountKeys.map(
        async (account) => [account, await this.checkAccount(account, options.ensureToken === true)] as const,
      ),
    );
    const accounts = Object.fromEntries(entries);
    const status = entries.every(([, health]) => health.usable) ? 'up' : 'down';
    return { [key]: { status, accounts } } as ActOnHealthIndicatorResult<Key>;
  }

  private async checkAccount(account: string, ensureToken: boolean): Promise<ActOnAccountHealth> {
    const reauthorization = this.runtime.reauthorizationReason(account);
    if (reauthorization !== undefined && !ensureToken) {
      return { state: 'reauthorization_required', usable: false, reason: reauthorization };
    }
    let tokens: TokenSet | undefined;
    try {
      if (ensureToken) await this.runtime.manager.getAccessToken(account);
      tokens = await this.runtime.manager.getTokenSet(account);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return {
        state: code === 'reauthorization_required' ? 'reauthorization_required' : 'error',
        usable: false,
        reason: describeError(error),
      };
    }
    if (tokens === undefined) return { state: 'missing', usable: false, reason: 'no token pair is stored' };
    const now = this.runtime.options.now();
    const expiresAt = new Date(tokens.expiresAt).toISOString();
    if (now < tokens.expiresAt) return { state: 'valid', usable: true, expiresAt };
    if (now - tokens.obtainedAt < REFRESH_TOKEN_LIFETIME_MS)
      return { state: 'refreshable', usable: true, expiresAt };
    return {
      state: 'stale',
      usable: false,
      expiresAt,
      reason: 'the refresh token went unused for 30 days and has probably expired',
    };
  }
}
