import { Module, type DynamicModule } from '@nestjs/common';
import { ActOnConfigurationError } from '@acton/oauth-client';
import type { ActOnAuthModuleOptions } from './acton-auth-module-options';
import { ACTON_AUTH_MODULE_OPTIONS, ACTON_AUTH_RUNTIME, ACTON_TOKEN_MANAGER } from './acton-auth.constants';
import {
  ActOnAuthConfigurableModule,
  type ActOnAuthModuleAsyncOptions,
  type ActOnAuthModuleSyncOptions,
} from './acton-auth.module-definition';
import { ActOnAuthRuntime, createActOnAuthRuntime } from './acton-auth-runtime';
import { ActOnHealthIndicator } from './acton-health.indicator';
import { ActOnTokenService } from './acton-token.service';

/**
 * Act-On authentication for Nest: provides {@link ActOnTokenService} (and {@link ActOnHealthIndicator}) backed
 * by the core's `ActOnTokenManager`.
 *
 * Options are validated once, while the app boots: a missing or wrong option stops it with one
 * `ActOnConfigurationError` naming the option (and never its value).
 *
 * @example
 * ```ts
 * @Module({ imports: [ActOnAuthModule.forRoot()] }) // everything from ACTON_* environment variables
 * export class AppModule {}
 * ```
 */
@Module({
  providers: [
    {
      provide: ACTON_AUTH_RUNTIME,
      useFactory: (options: ActOnAuthModuleOptions | undefined) => createActOnAuthRuntime(options),
      inject: [ACTON_AUTH_MODULE_OPTIONS],
    },
    {
      provide: ACTON_TOKEN_MANAGER,
      useFactory: (runtime: ActOnAuthRuntime) => runtime.manager,
      inject: [ACTON_AUTH_RUNTIME],
    },
    ActOnTokenService,
    ActOnHealthIndicator,
  ],
  exports: [ActOnTokenService, ActOnHealthIndicator, ACTON_TOKEN_MANAGER],
})
export class ActOnAuthModule extends ActOnAuthConfigurableModule {
  /**
   * Configures the module from `options`; every option left out is read from its `ACTON_*` environment
   * variable, so `forRoot()` alone configures everything from the environment.
   */
  static forRoot(options: ActOnAuthModuleSyncOptions = {}): DynamicModule {
    // Nest awaits a thenable options object before anything can validate it: it would wait forever.
    if (options !== null && typeof options === 'object' && 'then' in options) {
      throw new ActOnConfigurationError(
        'then',
        'ActOnAuthModule: unknown option "then" (check its spelling)',
      );
    }
    // The builder's forRoot() cannot take `undefined` (it enumerates the keys to strip the extras).
    return super.forRoot(options ?? {});
  }

  /**
   * Configures the module from a factory (`useFactory` with `inject`, or a `useClass`/`useExisting` class
   * implementing `ActOnAuthOptionsFactory`), e.g. fed by `ConfigService`.
   */
  static forRootAsync(options: ActOnAuthModuleAsyncOptions): DynamicModule {
    // Some Nest versions drop the extras of the async variant; `global` is set here so isGlobal always works.
    return { ...super.forRootAsync(options), global: options.isGlobal === true };
  }
}
