import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ActOnAuthModuleOptions } from './acton-auth-module-options';
import { ACTON_AUTH_MODULE_OPTIONS } from './acton-auth.constants';

/** Options of the module that are not Act-On options. */
export interface ActOnAuthModuleExtras {
  /** Register the module globally: `ActOnTokenService` is then injectable everywhere. Default `false`. */
  readonly isGlobal?: boolean;
}

/**
 * `forRoot(options)` / `forRootAsync({ imports, inject, useFactory | useClass | useExisting })`, as in
 * `@nestjs/throttler` and `@nestjs/jwt`. A `useClass`/`useExisting` factory implements
 * `createActOnAuthOptions()`.
 */
export const {
  ConfigurableModuleClass: ActOnAuthConfigurableModule,
  OPTIONS_TYPE: ACTON_AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: ACTON_AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ActOnAuthModuleOptions>({
  optionsInjectionToken: ACTON_AUTH_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createActOnAuthOptions')
  .setExtras<ActOnAuthModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal === true,
  }))
  .build();

/** Argument of `ActOnAuthModule.forRoot()`. */
export type ActOnAuthModuleSyncOptions = typeof ACTON_AUTH_OPTIONS_TYPE;
/** Argument of `ActOnAuthModule.forRootAsync()`. */
export type ActOnAuthModuleAsyncOptions = typeof ACTON_AUTH_ASYNC_OPTIONS_TYPE;
