import { ActOnConfigurationError } from '@acton/oauth-client';
import { Strategy as OAuth2Strategy, type StrategyOptions, type VerifyFunction } from 'passport-oauth2';
import { tokenErrorFromResponse } from './errors';
import { adaptOAuth2ForActOn } from './oauth2-adapter';
import { toPassportOptions } from './passport-options';
import type { ActOnAccountProfile } from './profile';
import { requestProfile } from './profile-request';
import { resolveStrategyOptions } from './resolve-options';
import type {
  ActOnStrategyOptions,
  ActOnStrategyOptionsWithRequest,
  ActOnVerifyFunction,
  ActOnVerifyFunctionWithParams,
  ActOnVerifyFunctionWithRequest,
  ActOnVerifyFunctionWithRequestAndParams,
  AnyActOnVerifyFunction,
} from './strategy-options';
import { createPassportVerify } from './verify';

type AnyOptions = ActOnStrategyOptions | ActOnStrategyOptionsWithRequest;

/**
 * Passport strategy for signing in with Act-On (OAuth 2.0 authorization-code grant), built on passport-oauth2.
 *
 * Works with no arguments from `ACTON_CLIENT_ID`, `ACTON_CLIENT_SECRET`, `ACTON_CALLBACK_URL` and
 * `ACTON_REGION`/`ACTON_BASE_URL`; the user is then `{ profile, tokens }`. CSRF `state` is on by default.
 *
 * @example
 * passport.use(new ActOnStrategy());
 * app.get('/auth/acton', passport.authenticate('acton'));
 * app.get('/auth/acton/callback', passport.authenticate('acton', { failureRedirect: '/login' }), done);
 */
export class ActOnStrategy extends OAuth2Strategy {
  /** `GET {base}/api/1/account`. Not #private: passport runs each request on an `Object.create(strategy)` copy. */
  protected readonly _accountURL: string;
  /** Values scrubbed from error texts; not enumerable so it never shows up when the strategy is logged. */
  declare protected readonly _errorSecrets: readonly string[];

  constructor();
  constructor(verify: ActOnVerifyFunction);
  constructor(verify: ActOnVerifyFunctionWithParams);
  constructor(options: ActOnStrategyOptions, verify?: ActOnVerifyFunction);
  constructor(options: ActOnStrategyOptions, verify: ActOnVerifyFunctionWithParams);
  constructor(options: ActOnStrategyOptionsWithRequest, verify?: ActOnVerifyFunctionWithRequest);
  constructor(options: ActOnStrategyOptionsWithRequest, verify: ActOnVerifyFunctionWithRequestAndParams);
  constructor(optionsOrVerify?: AnyOptions | AnyActOnVerifyFunction, maybeVerify?: AnyActOnVerifyFunction) {
    // Like passport-oauth2, accept (verify) alone; @nestjs/passport calls super(...yourArgs, callback).
    const options: AnyOptions = typeof optionsOrVerify === 'function' ? {} : (optionsOrVerify ?? {});
    const verify = typeof optionsOrVerify === 'function' ? optionsOrVerify : maybeVerify;
    if (verify !== undefined && typeof verify !== 'function') {
      throw new ActOnConfigurationError('verify', 'the verify callback must be a function');
    }
    const resolved = resolveStrategyOptions(options, process.env);
    if (verify === undefined && resolved.skipUserProfile !== false) {
      throw new ActOnConfigurationError(
        'skipUserProfile',
        'skipUserProfile needs a verify callback of your own: the default one yields { profile, tokens }',
      );
    }
    // passport-oauth2 reads passReqToCallback at run time; its types want one overload per value, hence the casts.
    super(
      toPassportOptions(resolved) as StrategyOptions,
      createPassportVerify(verify, resolved.passReqToCallback) as VerifyFunction,
    );
    this.name = 'acton';
    this._accountURL = resolved.accountURL;
    Object.defineProperty(this, '_errorSecrets', {
      value: Object.freeze([resolved.clientSecret]),
      enumerable: false,
    });
    adaptOAuth2ForActOn(this._oauth2, resolved.clientSecret);
  }

  /** Reads `GET /api/1/account` into an Act-On profile; 401 and `PUBLIC_API_FEATURE_NOT_ENABLED` say so. */
  override userProfile(
    accessToken: string,
    done: (error?: unknown, profile?: ActOnAccountProfile) => void,
  ): void {
    requestProfile(this._oauth2, this._accountURL, accessToken, (error, profile) =>
      error ? done(error) : done(null, profile),
    );
  }

  /** Act-On's OAuth error answer as an `ActOnTokenError`; anything else as passport-oauth2 reads it. */
  override parseErrorResponse(body: string, status: number): Error | null {
    return tokenErrorFromResponse(body, status, this._errorSecrets) ?? super.parseErrorResponse(body, status);
  }
}
