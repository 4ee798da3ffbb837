/** Machine-readable error codes of {@link ActOnError}. */
export type ActOnErrorCode =
  | 'configuration'
  | 'token_endpoint'
  | 'invalid_token_response'
  | 'reauthorization_required'
  | 'auth_budget_exhausted'
  | 'api_access_not_enabled'
  | 'network'
  | 'timeout'
  | 'store'
  | 'store_conflict'
  | 'lock_timeout'
  | 'decryption_failed';

/** Plain, secret-free form of an {@link ActOnError} as produced by `toJSON()`. */
export interface ActOnErrorJSON {
  readonly name: string;
  readonly code: ActOnErrorCode;
  readonly message: string;
  readonly [field: string]: string | number | boolean | undefined;
}

/**
 * Base class of every error this project throws. Messages, `toJSON()` and public fields never
 * carry a client secret, password, access token or refresh token.
 */
export class ActOnError extends Error {
  /** Stable machine-readable code. */
  readonly code: ActOnErrorCode;

  constructor(code: ActOnErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }

  /** Secret-free fields for logs; the `cause` is left out on purpose (it may come from a third party). */
  toJSON(): ActOnErrorJSON {
    const json: Record<string, string | number | boolean | undefined> = {
      name: this.name,
      code: this.code,
      message: this.message,
    };
    for (const [key, value] of Object.entries(this)) {
      if (key === 'code' || key === 'cause') continue;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        json[key] = value;
    }
    return json as unknown as ActOnErrorJSON;
  }
}

/** An option is missing or wrong. `option` names it. Thrown at construction, never later. */
export class ActOnConfigurationError extends ActOnError {
  constructor(
    /** The option at fault, e.g. `clientId` or `baseUrl`. */
    readonly option: string,
    message: string,
  ) {
    super('configuration', message);
  }
}

/** Act-On's token endpoint answered with an OAuth error (`invalid_grant`, `access_denied`, …). */
export class ActOnTokenEndpointError extends ActOnError {
  constructor(
    /** HTTP status of the answer. */
    readonly status: number,
    /** Act-On's `error` field, e.g. `invalid_grant`. */
    readonly error: string,
    /** Act-On's `error_description`, scrubbed of anything that was sent as a secret. */
    readonly errorDescription: string | undefined,
    /** The grant that was attempted. */
    readonly grantType: 'password' | 'authorization_code' | 'refresh_token',
  ) {
    super(
      'token_endpoint',
      `Act-On's token endpoint refused the ${grantType} grant: ${error}` +
        (errorDescription ? ` (${errorDescription})` : '') +
        ` [HTTP ${status}]`,
    );
  }

  /** Same as `error`; lets generic OAuth tooling read the code. */
  get oauthError(): string {
    return this.error;
  }

  /** True when the refresh token or code is used, expired or killed by a newer pair. */
  get isInvalidGrant(): boolean {
    return this.error === 'invalid_grant';
  }
}

/** The token endpoint answered 2xx with something that is not a usable token set. */
export class ActOnInvalidTokenResponseError extends ActOnError {
  constructor(
    /** HTTP status of the answer. */
    readonly status: number,
    /** What was wrong, e.g. `access_token is missing`. */
    readonly reason: string,
  ) {
    super(
      'invalid_token_response',
      `Act-On's token endpoint sent an unusable response: ${reason} [HTTP ${status}]`,
    );
  }
}

/** The account holds no usable pair and cannot log in by itself: a human must sign in again. */
export class ActOnReauthorizationRequiredError extends ActOnError {
  constructor(
    /** The account key. */
    readonly account: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'reauthorization_required',
      `Act-On account "${account}" needs to be authorized again: ${reason}`,
      options,
    );
  }
}

/** A password or code grant was refused locally because the hourly login budget is spent. Nothing was sent. */
export class ActOnAuthBudgetError extends ActOnError {
  constructor(
    readonly account: string,
    /** Milliseconds until the oldest counted attempt leaves the window. */
    readonly retryAfterMs: number,
    readonly limit: number,
    readonly windowMs: number,
  ) {
    super(
      'auth_budget_exhausted',
      `Act-On login budget for account "${account}" is spent (${limit} per ${Math.round(windowMs / 60000)} min); ` +
        `retry in ${Math.ceil(retryAfterMs / 1000)} s`,
    );
  }
}

/** The Act-On account does not have API access (`PUBLIC_API_FEATURE_NOT_ENABLED`). */
export class ActOnApiAccessError extends ActOnError {
  constructor(readonly status: number) {
    super(
      'api_access_not_enabled',
      `This Act-On account has no API access (PUBLIC_API_FEATURE_NOT_ENABLED) [HTTP ${status}]; ask Act-On support to enable it`,
    );
  }
}

/** The request could not complete: connection refused or reset, DNS, or an unreadable response. */
export class ActOnNetworkError extends ActOnError {
  constructor(
    message: string,
    /** True when the request may have reached Act-On, so its outcome is unknown. */
    readonly requestSent: boolean,
    options?: { cause?: unknown },
    code: 'network' | 'timeout' = 'network',
  ) {
    super(code, message, options);
  }
}

/** The request passed its deadline (`timeoutMs`). Its outcome is unknown. */
export class ActOnTimeoutError extends ActOnNetworkError {
  constructor(readonly timeoutMs: number) {
    super(`Act-On did not answer within ${timeoutMs} ms`, true, undefined, 'timeout');
  }
}

/** A token store failed to read or write. */
export class ActOnStoreError extends ActOnError {
  constructor(
    message: string,
    options?: { cause?: unknown },
    code: 'store' | 'store_conflict' | 'lock_timeout' | 'decryption_failed' = 'store',
  ) {
    super(code, message, options);
  }
}

/** A compare-and-swap write lost: another writer stored a newer pair first. Nothing was written. */
export class ActOnStoreConflictError extends ActOnStoreError {
  constructor(
    readonly account: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(
      `Token pair of account "${account}" changed under us (expected version ${expectedVersion}, found ${actualVersion}); nothing was written`,
      undefined,
      'store_conflict',
    );
  }
}

/** Waiting for an account's grant lock took longer than allowed. */
export class ActOnLockTimeoutError extends ActOnStoreError {
  constructor(
    readonly account: string,
    readonly waitedMs: number,
  ) {
    super(
      `Timed out after ${waitedMs} ms waiting for the token lock of account "${account}"`,
      undefined,
      'lock_timeout',
    );
  }
}

/** An encrypted token file could not be decrypted: wrong `encryptionKey`, or the file was altered. The file is left as it was. */
export class ActOnDecryptionError extends ActOnStoreError {
  constructor(readonly path: string) {
    super(
      `Cannot decrypt token file ${path}: wrong encryptionKey, or the file was altered. The file was left untouched.`,
      undefined,
      'decryption_failed',
    );
  }
}
