import { Logger, type LoggerService } from '@nestjs/common';
import { ActOnTokenManager, type ReauthorizeEvent, type TokensEvent } from '@acton/oauth-client';
import type { ActOnAuthModuleOptions } from './acton-auth-module-options';
import { relabelConfigurationError } from './configuration-error';
import { describeError } from './describe-error';
import { createActOnLogger } from './nest-logger-adapter';
import { resolveActOnAuthOptions, type ResolvedActOnAuthOptions } from './resolve-options';
import { createTokenStore, type ModuleTokenStore } from './token-store-factory';

/** Logger context of every line the module writes. */
export const ACTON_LOGGER_CONTEXT = 'ActOnTokenService';

/**
 * Everything one `ActOnAuthModule` instance owns: the validated options, the store and the manager. Built
 * once per module by a provider factory (so bad options fail the bootstrap), shared by `ActOnTokenService`
 * and `ActOnHealthIndicator`, closed once on shutdown.
 */
export class ActOnAuthRuntime {
  /** Accounts whose last word from the manager was "a human must sign in again", with the reason. */
  private readonly reauthorizationNeeded = new Map<string, string>();
  private closing: Promise<void> | undefined;

  constructor(
    readonly options: ResolvedActOnAuthOptions,
    readonly manager: ActOnTokenManager,
    private readonly tokenStore: ModuleTokenStore,
    private readonly logger: LoggerService,
  ) {
    // The manager logs reauthorization itself (through the adapter); here it is only remembered, so that the
    // health indicator can report the account as down until a new pair arrives.
    manager.on('reauthorize', (event: ReauthorizeEvent) => {
      this.reauthorizationNeeded.set(event.account, event.reason);
    });
    manager.on('tokens', (event: TokensEvent) => {
      this.reauthorizationNeeded.delete(event.account);
    });
  }

  /** Whether the account was told to reauthorize since it last got a pair, and why. */
  reauthorizationReason(account: string): string | undefined {
    return this.reauthorizationNeeded.get(account);
  }

  /**
   * Gets a token for every configured account. The manager reuses a stored pair (refreshing it if it is
   * due) and only makes a password grant when no pair is stored, so a restart does not spend a login.
   * Failures are logged, not thrown: an app that cannot boot while Act-On is down would restart in a loop.
   */
  async warmUp(): Promise<void> {
    for (const account of this.options.accounts) {
      try {
        await this.manager.getAccessToken(account);
        this.logger.log(`Act-On account "${account}" is ready`);
      } catch (error) {
        this.logger.warn(`Warm-up of Act-On account "${account}" failed: ${describeError(error)}`);
      }
    }
  }

  /** Closes the manager (timers, in-flight work) and the store the module built. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    try {
      await this.manager.close();
    } catch (error) {
      this.logger.warn(`Closing the Act-On token manager failed: ${describeError(error)}`);
    }
    if (!this.tokenStore.owned) return;
    try {
      await this.tokenStore.store.close();
    } catch (error) {
      this.logger.warn(`Closing the Act-On token store failed: ${describeError(error)}`);
    }
  }
}

/**
 * Validates the module options and builds the store and the manager. Throws an `ActOnConfigurationError`
 * naming the option at fault, which stops the bootstrap.
 */
export async function createActOnAuthRuntime(
  raw: ActOnAuthModuleOptions | undefined,
  logger: LoggerService = new Logger(ACTON_LOGGER_CONTEXT),
): Promise<ActOnAuthRuntime> {
  const options = resolveActOnAuthOptions(raw);
  const tokenStore = createTokenStore(options.store, options.sources);
  let manager: ActOnTokenManager;
  try {
    manager = new ActOnTokenManager({
      ...options.manager,
      store: tokenStore.store,
      logger: createActOnLogger(logger),
    });
  } catch (error) {
    if (tokenStore.owned) await tokenStore.store.close().catch(() => undefined);
    throw relabelConfigurationError(error, {}, options.sources);
  }
  logger.log(
    `Act-On at ${options.baseUrl}, token store: ${tokenStore.description}, default account "${options.defaultAccount}"`,
  );
  return new ActOnAuthRuntime(options, manager, tokenStore, logger);
}
