export { ActOnAuthModule } from './acton-auth.module';
export type {
  ActOnAuthModuleAsyncOptions,
  ActOnAuthModuleExtras,
  ActOnAuthModuleSyncOptions,
} from './acton-auth.module-definition';
export type {
  ActOnAuthModuleOptions,
  ActOnAuthOptionsFactory,
  ActOnTokenStoreKind,
} from './acton-auth-module-options';
export { ACTON_AUTH_MODULE_OPTIONS, ACTON_TOKEN_MANAGER } from './acton-auth.constants';
export { ActOnTokenService, type ActOnEventListener } from './acton-token.service';
export {
  ActOnHealthIndicator,
  type ActOnAccountHealth,
  type ActOnAccountTokenState,
  type ActOnHealthCheckOptions,
  type ActOnHealthIndicatorResult,
} from './acton-health.indicator';
export { ACTON_ENV_VARIABLES, readActOnEnv, type ActOnEnvOption, type ActOnEnvValues } from './env-options';
export { createActOnLogger } from './nest-logger-adapter';
