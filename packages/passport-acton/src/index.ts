export { ActOnStrategy, ActOnStrategy as Strategy } from './strategy';
export type {
  ActOnStrategyOptions,
  ActOnStrategyOptionsBase,
  ActOnStrategyOptionsWithRequest,
  ActOnSkipUserProfile,
  ActOnUser,
  ActOnVerifyCallback,
  ActOnVerifyFunction,
  ActOnVerifyFunctionWithParams,
  ActOnVerifyFunctionWithRequest,
  ActOnVerifyFunctionWithRequestAndParams,
  AnyActOnVerifyFunction,
} from './strategy-options';
export type { ActOnStrategyEnvironment } from './resolve-options';
export { parseProfile, type ActOnAccountInfo, type ActOnAccountProfile, type ActOnProfile } from './profile';
export type { ActOnTokenParams } from './token-handover';
export {
  ActOnProfileError,
  ActOnTokenError,
  type ActOnProfileErrorDetails,
  type ActOnProfileErrorReason,
} from './errors';
export { ActOnCookieStateStore, type ActOnCookieStateStoreOptions } from './cookie-state-store';
export { ActOnSessionStateStore, type ActOnSessionStateStoreOptions } from './session-state-store';
export { ActOnDefaultStateStore } from './default-state-store';
export {
  STATE_MESSAGES,
  type ActOnStateFailure,
  type ActOnStateStoreCallback,
  type ActOnStateStoreLike,
  type ActOnStateStoreMeta,
  type ActOnStateVerifyCallback,
} from './state-store';
// Re-exported so an app needs no second import for what the verify callback hands it.
export type { TokenSet } from '@acton/oauth-client';
export { ActOnConfigurationError } from '@acton/oauth-client';
