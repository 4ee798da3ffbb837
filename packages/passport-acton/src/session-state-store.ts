import type { Request } from 'express';
import { createNonce } from './nonce';
import {
  STATE_MESSAGES,
  type ActOnStateStoreCallback,
  type ActOnStateStoreLike,
  type ActOnStateStoreMeta,
  type ActOnStateVerifyCallback,
} from './state-store';

/** Options of {@link ActOnSessionStateStore}. */
export interface ActOnSessionStateStoreOptions {
  /** Key in `req.session`; the strategy uses passport-oauth2's `oauth2:<authorization host>` unless `sessionKey` is set. */
  readonly key: string;
  /** How long the user has to come back from Act-On, in ms. */
  readonly ttlMs: number;
  /** Clock in epoch ms; for tests. */
  readonly now?: () => number;
}

interface PendingState {
  handle: string;
  expiresAt: number;
  state?: unknown;
}

type SessionBag = Record<string, { state?: PendingState } | undefined>;

function sessionOf(req: Request): SessionBag | undefined {
  // Read through unknown: express-session's own typing of req.session may or may not be in the program.
  const session = (req as unknown as { session?: unknown }).session;
  return session !== null && typeof session === 'object' ? (session as SessionBag) : undefined;
}

const NO_SESSION =
  'OAuth 2.0 authentication requires session support when using state. Did you forget to use express-session middleware?';

/**
 * CSRF `state` in an express-session, laid out as passport-oauth2's own session store lays it out
 * (`req.session[key].state`), plus an expiry: a handle is single use and dies after `ttlMs`.
 */
export class ActOnSessionStateStore implements ActOnStateStoreLike {
  private readonly key: string;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: ActOnSessionStateStoreOptions) {
    this.key = options.key;
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  /** True when the request has a session this store can use. */
  static hasSession(req: Request): boolean {
    return sessionOf(req) !== undefined;
  }

  store(
    req: Request,
    appState: unknown,
    _meta: ActOnStateStoreMeta,
    callback: ActOnStateStoreCallback,
  ): void {
    const session = sessionOf(req);
    if (session === undefined) return callback(new Error(NO_SESSION));
    const pending: PendingState = { handle: createNonce(), expiresAt: this.now() + this.ttlMs };
    if (appState !== undefined && appState !== null) pending.state = appState;
    session[this.key] = { ...session[this.key], state: pending };
    callback(null, pending.handle);
  }

  verify(
    req: Request,
    providedState: string | undefined,
    _meta: ActOnStateStoreMeta,
    callback: ActOnStateVerifyCallback,
  ): void {
    const session = sessionOf(req);
    if (session === undefined) return callback(new Error(NO_SESSION), false);
    const bag = session[this.key];
    const pending = bag?.state;
    if (bag === undefined || pending === undefined)
      return callback(null, false, { message: STATE_MESSAGES.missing });
    // Single use: whatever the outcome, this handle is gone.
    delete bag.state;
    if (Object.keys(bag).length === 0) delete session[this.key];
    if (typeof providedState !== 'string' || pending.handle !== providedState) {
      return callback(null, false, { message: STATE_MESSAGES.invalid });
    }
    if (typeof pending.expiresAt === 'number' && pending.expiresAt <= this.now()) {
      return callback(null, false, { message: STATE_MESSAGES.expired });
    }
    return callback(null, true, pending.state);
  }
}
