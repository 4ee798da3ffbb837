import type { KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ActOnConfigurationError } from '@acton/oauth-client';
import type { Request } from 'express';
import { createNonce } from './nonce';
import { appendSetCookie, COOKIE_NAME_PATTERN, readCookieValues, serializeCookie } from './cookies';
import { decodeStateCookie, encodeStateCookie, sameNonce, stateSigningKey } from './state-cookie-codec';
import {
  DEFAULT_STATE_TTL_MS,
  MAX_STATE_TTL_MS,
  STATE_MESSAGES,
  type ActOnStateStoreCallback,
  type ActOnStateStoreLike,
  type ActOnStateStoreMeta,
  type ActOnStateVerifyCallback,
} from './state-store';
import { UsedNonces } from './used-nonces';

/** Options of {@link ActOnCookieStateStore}. */
export interface ActOnCookieStateStoreOptions {
  /**
   * Signing secret, at least 16 bytes; the HMAC key is derived from it with HKDF-SHA256. Every process that may
   * receive the callback needs the same one. The strategy's default store derives it from the client secret.
   */
  readonly secret: string | Uint8Array;
  /** HKDF salt; the strategy passes the client id. Default `'passport-acton'`. */
  readonly salt?: string;
  /** How long the user has to come back from Act-On, in ms. Default 10 minutes, at most 1 hour. */
  readonly ttlMs?: number;
  /** Cookie name. Default `acton_oauth_state`. */
  readonly cookieName?: string;
  /** Cookie path. Default: the path of the callback URL, so the cookie is only ever sent back to the callback. */
  readonly cookiePath?: string;
  /** Add `Secure`. Default: when the callback URL is `https:` (or the request came over TLS). */
  readonly secure?: boolean;
  /** Clock in epoch ms; for tests. */
  readonly now?: () => number;
}

/** Application state larger than this does not belong in a cookie (browsers cap a cookie near 4 KB). */
const MAX_COOKIE_VALUE_LENGTH = 3000;
const MIN_SECRET_BYTES = 16;

type RequestWithResponse = Request & { res?: ServerResponse };

function secretLength(secret: unknown): number {
  if (typeof secret === 'string') return Buffer.byteLength(secret, 'utf8');
  if (secret instanceof Uint8Array) return secret.length;
  return -1;
}

/**
 * CSRF `state` without a server-side session: the nonce sent to Act-On is also kept in a signed, short-lived,
 * HttpOnly, SameSite=Lax cookie scoped to the callback path. On the way back the cookie must be present, carry a
 * valid signature, be unexpired, match the `state` Act-On echoed, and not have been used before; it is cleared
 * whatever the outcome, so each authorization request can be completed at most once.
 *
 * Needs the response object at `req.res` (Express and Nest on Express set it). The cookie is signed, not
 * encrypted: application state passed through it is readable by the browser.
 */
export class ActOnCookieStateStore implements ActOnStateStoreLike {
  /** Name of the cookie this store sets. */
  readonly cookieName: string;
  /** Lifetime of a pending authorization request, in ms. */
  readonly ttlMs: number;
  // Not #private: passport runs strategies on Object.create(strategy) copies, and stores may be wrapped the same way.
  private readonly key: KeyObject;
  private readonly cookiePath: string | undefined;
  private readonly secure: boolean | undefined;
  private readonly now: () => number;
  private readonly usedNonces = new UsedNonces();
  private lastCallbackURL: string | undefined;
  private lastCallbackPath = '/';

  constructor(options: ActOnCookieStateStoreOptions) {
    if (options === null || typeof options !== 'object') {
      throw new ActOnConfigurationError('options', 'ActOnCookieStateStore needs options with a secret');
    }
    if (secretLength(options.secret) < MIN_SECRET_BYTES) {
      throw new ActOnConfigurationError(
        'secret',
        `ActOnCookieStateStore needs a secret (string or bytes) of at least ${MIN_SECRET_BYTES} bytes`,
      );
    }
    const ttlMs = options.ttlMs ?? DEFAULT_STATE_TTL_MS;
    if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1000 || ttlMs > MAX_STATE_TTL_MS) {
      throw new ActOnConfigurationError(
        'ttlMs',
        `ttlMs must be a whole number of ms between 1000 and ${MAX_STATE_TTL_MS}`,
      );
    }
    const cookieName = options.cookieName ?? 'acton_oauth_state';
    if (typeof cookieName !== 'string' || !COOKIE_NAME_PATTERN.test(cookieName)) {
      throw new ActOnConfigurationError(
        'cookieName',
        'cookieName must be a valid cookie name (an HTTP token)',
      );
    }
    if (
      options.cookiePath !== undefined &&
      (typeof options.cookiePath !== 'string' || !/^\/[^;\s]*$/.test(options.cookiePath))
    ) {
      throw new ActOnConfigurationError(
        'cookiePath',
        "cookiePath must start with '/' and contain no ';' or spaces",
      );
    }
    if (options.secure !== undefined && typeof options.secure !== 'boolean') {
      throw new ActOnConfigurationError('secure', 'secure must be a boolean');
    }
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new ActOnConfigurationError('now', 'now must be a function returning epoch milliseconds');
    }
    if (options.salt !== undefined && (typeof options.salt !== 'string' || options.salt === '')) {
      throw new ActOnConfigurationError('salt', 'salt must be a non-empty string');
    }
    this.cookieName = cookieName;
    this.ttlMs = ttlMs;
    this.key = stateSigningKey(options.secret, options.salt ?? 'passport-acton');
    this.cookiePath = options.cookiePath;
    this.secure = options.secure;
    this.now = options.now ?? Date.now;
  }

  /** Sets the state cookie and hands passport-oauth2 the nonce to send to Act-On as `state`. */
  store(req: Request, appState: unknown, meta: ActOnStateStoreMeta, callback: ActOnStateStoreCallback): void {
    const res = (req as RequestWithResponse).res;
    if (res === undefined) return callback(missingResponseError());
    const nonce = createNonce();
    const value = encodeStateCookie(this.key, this.cookieName, {
      nonce,
      expiresAt: this.now() + this.ttlMs,
      ...(appState === undefined || appState === null ? {} : { appState }),
    });
    if (value.length > MAX_COOKIE_VALUE_LENGTH) {
      return callback(
        new Error('The application state passed to authenticate() is too large for the state cookie'),
      );
    }
    appendSetCookie(
      res,
      serializeCookie(this.cookieName, value, {
        path: this.pathFor(meta),
        maxAgeSec: Math.ceil(this.ttlMs / 1000),
        secure: this.secureFor(req, meta),
      }),
    );
    callback(null, nonce);
  }

  /** Checks the `state` Act-On echoed against the cookie, then clears the cookie. */
  verify(
    req: Request,
    providedState: string | undefined,
    meta: ActOnStateStoreMeta,
    callback: ActOnStateVerifyCallback,
  ): void {
    const res = (req as RequestWithResponse).res;
    if (res === undefined) return callback(missingResponseError(), false);
    const values = readCookieValues(req.headers.cookie, this.cookieName);
    if (values.length > 0) {
      appendSetCookie(
        res,
        serializeCookie(this.cookieName, '', {
          path: this.pathFor(meta),
          maxAgeSec: 0,
          secure: this.secureFor(req, meta),
        }),
      );
    }
    if (values.length === 0) return callback(null, false, { message: STATE_MESSAGES.missing });

    // With several cookies of that name (another path, an older tab), the one carrying this state counts.
    const now = this.now();
    for (const value of values) {
      const payload = decodeStateCookie(this.key, this.cookieName, value);
      if (payload === undefined) continue;
      if (typeof providedState !== 'string' || !sameNonce(payload.nonce, providedState)) continue;
      if (payload.expiresAt <= now) return callback(null, false, { message: STATE_MESSAGES.expired });
      if (!this.usedNonces.markUsed(payload.nonce, payload.expiresAt, now)) {
        return callback(null, false, { message: STATE_MESSAGES.replayed });
      }
      return callback(null, true, payload.appState);
    }
    return callback(null, false, { message: STATE_MESSAGES.invalid });
  }

  private pathFor(meta: ActOnStateStoreMeta | undefined): string {
    if (this.cookiePath !== undefined) return this.cookiePath;
    const callbackURL = meta?.callbackURL;
    if (callbackURL === undefined) return '/';
    // The callback URL rarely changes; parse it once, not on every login.
    if (callbackURL !== this.lastCallbackURL) {
      this.lastCallbackURL = callbackURL;
      this.lastCallbackPath = callbackPath(callbackURL);
    }
    return this.lastCallbackPath;
  }

  private secureFor(req: Request, meta: ActOnStateStoreMeta | undefined): boolean {
    if (this.secure !== undefined) return this.secure;
    if (meta?.callbackURL?.toLowerCase().startsWith('https:')) return true;
    return (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  }
}

/** The path of the callback URL, the narrowest path the browser will send the cookie back to. */
function callbackPath(callbackURL: string): string {
  try {
    const path = new URL(callbackURL, 'http://placeholder.invalid').pathname;
    return /^\/[^;\s]*$/.test(path) ? path : '/';
  } catch {
    return '/';
  }
}

function missingResponseError(): ActOnConfigurationError {
  return new ActOnConfigurationError(
    'store',
    'ActOnCookieStateStore needs the response object at req.res (Express or NestJS on Express sets it); ' +
      'use express-session and the session state store elsewhere',
  );
}
