import type { StateStore, StrategyOptions, StrategyOptionsWithRequest } from 'passport-oauth2';
import { ActOnCookieStateStore } from './cookie-state-store';
import { ActOnDefaultStateStore } from './default-state-store';
import type { ResolvedStrategyOptions } from './resolve-options';
import { ActOnSessionStateStore } from './session-state-store';
import { deriveStateKey } from './state-cookie-codec';
import type { ActOnStateStoreLike } from './state-store';

/** The caller's store, else (with `state` on) the session-or-cookie default, else none. */
function stateStoreFor(resolved: ResolvedStrategyOptions): ActOnStateStoreLike | StateStore | undefined {
  if (resolved.store !== undefined) return resolved.store;
  if (!resolved.state) return undefined;
  return new ActOnDefaultStateStore(
    new ActOnSessionStateStore({ key: resolved.sessionKey, ttlMs: resolved.stateTtlMs }),
    // Derived from the client secret, so every process of the app agrees on the key without another setting.
    new ActOnCookieStateStore({
      secret: deriveStateKey(resolved.clientSecret, resolved.clientID),
      salt: resolved.clientID,
      ttlMs: resolved.stateTtlMs,
    }),
  );
}

/** The options passport-oauth2's constructor gets: a fresh object, Act-On's URLs, our state store. */
export function toPassportOptions(
  resolved: ResolvedStrategyOptions,
): StrategyOptions | StrategyOptionsWithRequest {
  const store = stateStoreFor(resolved);
  const common = {
    authorizationURL: resolved.authorizationURL,
    tokenURL: resolved.tokenURL,
    clientID: resolved.clientID,
    clientSecret: resolved.clientSecret,
    callbackURL: resolved.callbackURL,
    scope: resolved.scope,
    sessionKey: resolved.sessionKey,
    skipUserProfile: resolved.skipUserProfile,
    // passport-oauth2 picks its state handling by option: this object, or none at all when undefined.
    ...(store === undefined ? {} : { store: store as StateStore }),
    ...(resolved.proxy === undefined ? {} : { proxy: resolved.proxy }),
    ...(resolved.customHeaders === undefined ? {} : { customHeaders: resolved.customHeaders }),
  };
  return resolved.passReqToCallback ? { ...common, passReqToCallback: true } : common;
}
