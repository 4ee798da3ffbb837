/** Injection token of the module's `ActOnAuthRuntime` (internal: validated options, store and manager). */
export const ACTON_AUTH_RUNTIME = 'ACTON_AUTH_RUNTIME';

/** Injection token of the module's `ActOnTokenManager`, for code that wants the core object itself. */
export const ACTON_TOKEN_MANAGER = 'ACTON_TOKEN_MANAGER';

/** Injection token of the raw module options, as given to `forRoot()` or returned by the `forRootAsync()` factory. */
export const ACTON_AUTH_MODULE_OPTIONS = 'ACTON_AUTH_MODULE_OPTIONS';
