import type { EventEmitter } from 'node:events';
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type {
  ActOnCredentials,
  ActOnTokenManager,
  ActOnTokenManagerEvents,
  TokenSet,
  TokenStore,
} from '@acton/oauth-client';
import { ACTON_AUTH_RUNTIME } from './acton-auth.constants';
import { ActOnAuthRuntime } from './acton-auth-runtime';

/** Listener of one {@link ActOnTokenManagerEvents} event. */
export type ActOnEventListener<E extends keyof ActOnTokenManagerEvents> = (
  ...args: ActOnTokenManagerEvents[E]
) => void;

/**
 * Act-On tokens for a Nest app: inject it anywhere `ActOnAuthModule` is visible.
 *
 * Every method takes an optional account key; without one it acts on the default account (the configured
 * username, else `'default'`). It delegates to the core's `ActOnTokenManager`, which never sends a refresh
 * token twice, shares one in-flight refresh between callers and keeps within Act-On's login budget.
 *
 * @example
 * ```ts
 * @Controller('acton')
 * export class AccountController {
 *   constructor(private readonly acton: ActOnTokenService) {}
 *
 *   @Get('account')
 *   async account() {
 *     const response = await this.acton.fetch('/api/1/account');
 *     return response.json();
 *   }
 * }
 * ```
 */
@Injectable()
export class ActOnTokenService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(ACTON_AUTH_RUNTIME) private readonly runtime: ActOnAuthRuntime) {}

  /** The core's manager, for anything this service does not wrap. */
  get manager(): ActOnTokenManager {
    return this.runtime.manager;
  }

  /** The store in use (the module's own, or the instance given in the options). */
  get store(): TokenStore {
    return this.runtime.manager.store;
  }

  /** Account key used when a method gets none. */
  get defaultAccount(): string {
    return this.runtime.options.defaultAccount;
  }

  /** The accounts the app relies on (option `accounts`, default `[defaultAccount]`). */
  get accounts(): readonly string[] {
    return this.runtime.options.accounts;
  }

  /** A valid access token; refreshed first when it is within `refreshSkewMs` of expiry. */
  getAccessToken(account?: string): Promise<string> {
    return this.runtime.manager.getAccessToken(account);
  }

  /**
   * An authorized request to Act-On's API (`pathOrUrl` relative to the base URL, e.g. `/api/1/account`).
   * On a 401 the token is refreshed once and the request retried.
   */
  fetch(pathOrUrl: string | URL, init?: RequestInit, options?: { account?: string }): Promise<Response> {
    return this.runtime.manager.fetch(pathOrUrl, init, options);
  }

  /** Password grant for an account (counts against the hourly login budget); the pair is stored. */
  login(credentials: ActOnCredentials, account?: string): Promise<TokenSet> {
    return this.runtime.manager.login(credentials, account);
  }

  /** Hands over a pair obtained elsewhere, e.g. by `passport-acton`'s code grant. */
  saveTokens(account: string, tokens: TokenSet): Promise<void> {
    return this.runtime.manager.saveTokens(account, tokens);
  }

  /** Forces a rotation of the account's pair. */
  refresh(account?: string): Promise<TokenSet> {
    return this.runtime.manager.refresh(account);
  }

  /** The account's current pair, or `undefined`. Contains secrets: never log it. */
  getTokenSet(account?: string): Promise<TokenSet | undefined> {
    return this.runtime.manager.getTokenSet(account);
  }

  /** Drops the account's pair (its login budget is kept). */
  forget(account: string): Promise<void> {
    return this.runtime.manager.forget(account);
  }

  /** Subscribes to a manager event (`tokens`, `refresh`, `login`, `reauthorize`, `error`); payloads carry no secret. */
  on<E extends keyof ActOnTokenManagerEvents>(event: E, listener: ActOnEventListener<E>): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Like {@link on}, for one event only. */
  once<E extends keyof ActOnTokenManagerEvents>(event: E, listener: ActOnEventListener<E>): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Removes a listener added with {@link on} or {@link once}. */
  off<E extends keyof ActOnTokenManagerEvents>(event: E, listener: ActOnEventListener<E>): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** With `warmUp: true`, gets a token for every configured account before the app starts serving. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.runtime.options.warmUp) await this.runtime.warmUp();
  }

  /**
   * Stops the manager's timers and closes the store's connections and watchers. This runs after every
   * module's `onModuleDestroy`, so other providers can still call Act-On while they shut down.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }

  private get emitter(): EventEmitter {
    return this.runtime.manager as unknown as EventEmitter;
  }
}
