import type { Request } from 'express';
import type { ActOnCookieStateStore } from './cookie-state-store';
import { ActOnSessionStateStore } from './session-state-store';
import type {
  ActOnStateStoreCallback,
  ActOnStateStoreLike,
  ActOnStateStoreMeta,
  ActOnStateVerifyCallback,
} from './state-store';

/**
 * The strategy's default state store: the session when the request has one (express-session), otherwise the
 * signed cookie. `state` thus works out of the box in both kinds of app, with nothing to configure.
 */
export class ActOnDefaultStateStore implements ActOnStateStoreLike {
  constructor(
    /** Used when `req.session` exists. */
    readonly session: ActOnSessionStateStore,
    /** Used otherwise. */
    readonly cookie: ActOnCookieStateStore,
  ) {}

  store(req: Request, appState: unknown, meta: ActOnStateStoreMeta, callback: ActOnStateStoreCallback): void {
    this.pick(req).store(req, appState, meta, callback);
  }

  verify(
    req: Request,
    providedState: string | undefined,
    meta: ActOnStateStoreMeta,
    callback: ActOnStateVerifyCallback,
  ): void {
    this.pick(req).verify(req, providedState, meta, callback);
  }

  private pick(req: Request): ActOnStateStoreLike {
    return ActOnSessionStateStore.hasSession(req) ? this.session : this.cookie;
  }
}
