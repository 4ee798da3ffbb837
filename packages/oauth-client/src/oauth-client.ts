import { resolveClientOptions, type ActOnClientOptions, type FetchFunction } from './client-options';
import { ActOnConfigurationError } from './errors';
import { toNetworkError } from './http-failure';
import { parseTokenResponse, type GrantType } from './token-response';
import type { TokenSet } from './token-set';

/** Username and password of an Act-On user, for the password grant. */
export interface ActOnCredentials {
  readonly username: string;
  readonly password: string;
}

/** Parameters of {@link ActOnOAuthClient.authorizationUrl}. */
export interface AuthorizationUrlParams {
  /** Your registered callback URL. */
  readonly redirectUri: string;
  /** Opaque CSRF value echoed back to the callback. */
  readonly state?: string;
  /** Default `PRODUCTION`. */
  readonly scope?: string;
}

/** Parameters of {@link ActOnOAuthClient.codeGrant}. */
export interface CodeGrantParams {
  readonly code: string;
  /** Act-On calls it obsolete but still requires it: the same callback URL as in the authorization request. */
  readonly redirectUri: string;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * One request per call to Act-On's token endpoint, nothing more: no retries, no storage, no state.
 * {@link ActOnTokenManager} builds rotation, locking and retries on top of it.
 *
 * @example
 * const client = new ActOnOAuthClient({ clientId, clientSecret });
 * const tokens = await client.passwordGrant({ username, password });
 */
export class ActOnOAuthClient {
  /** Base URL of the Act-On gateway in use, without a trailing slash. */
  readonly baseUrl: string;
  /** The application's client id (not a secret). */
  readonly clientId: string;
  /** Hard deadline of one request, in ms. */
  readonly timeoutMs: number;
  readonly #clientSecret: string;
  readonly #fetch: FetchFunction;
  readonly #now: () => number;

  constructor(options: ActOnClientOptions) {
    const resolved = resolveClientOptions(options);
    this.baseUrl = resolved.baseUrl;
    this.clientId = resolved.clientId;
    this.timeoutMs = resolved.timeoutMs;
    this.#clientSecret = resolved.clientSecret;
    this.#fetch = resolved.fetch;
    this.#now = resolved.now;
  }

  /** `POST {base}/token`. */
  get tokenUrl(): string {
    return `${this.baseUrl}/token`;
  }

  /** `GET {base}/api/1/account`. */
  get accountUrl(): string {
    return `${this.baseUrl}/api/1/account`;
  }

  /** The page that asks the user to sign in and authorize the application (code grant). */
  authorizationUrl(params: AuthorizationUrlParams): string {
    if (
      params === null ||
      typeof params !== 'object' ||
      typeof params.redirectUri !== 'string' ||
      !params.redirectUri
    ) {
      throw new ActOnConfigurationError(
        'redirectUri',
        'redirectUri is required to build the authorization URL',
      );
    }
    const query = new URLSearchParams({
      scope: params.scope ?? 'PRODUCTION',
      response_type: 'code',
      client_id: this.clientId,
      redirect_uri: params.redirectUri,
    });
    if (params.state !== undefined) query.set('state', params.state);
    return `${this.baseUrl}/authorize?${query.toString()}`;
  }

  /** Password grant. Counts against Act-On's 5-per-hour login limit. */
  passwordGrant(credentials: ActOnCredentials): Promise<TokenSet> {
    const username = requireParam(credentials?.username, 'username');
    const password = requireParam(credentials?.password, 'password');
    return this.requestToken('password', { username, password }, [password]);
  }

  /** Exchanges an authorization code. Counts against Act-On's 5-per-hour login limit. */
  codeGrant(params: CodeGrantParams): Promise<TokenSet> {
    const code = requireParam(params?.code, 'code');
    const redirectUri = requireParam(params?.redirectUri, 'redirectUri');
    return this.requestToken('authorization_code', { code, redirect_uri: redirectUri }, [code]);
  }

  /**
   * Rotates a pair. The refresh token is spent by this call whatever happens next:
   * store the returned pair before using it.
   */
  refreshGrant(refreshToken: string): Promise<TokenSet> {
    const token = requireParam(refreshToken, 'refreshToken');
    return this.requestToken('refresh_token', { refresh_token: token }, [token]);
  }

  private async requestToken(
    grantType: GrantType,
    fields: Record<string, string>,
    requestSecrets: string[],
  ): Promise<TokenSet> {
    const body = new URLSearchParams({ grant_type: grantType, ...fields });
    body.set('client_id', this.clientId);
    body.set('client_secret', this.#clientSecret);
    const signal = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let bodyText: string;
    try {
      const response = await this.#fetch(this.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
        signal,
        redirect: 'manual',
      });
      status = response.status;
      bodyText = await readBoundedText(response);
    } catch (error) {
      throw toNetworkError(error, signal, this.timeoutMs, "Act-On's token endpoint");
    }
    return parseTokenResponse(status, bodyText, this.#now(), grantType, [
      this.#clientSecret,
      ...requestSecrets,
    ]);
  }
}

function requireParam(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new ActOnConfigurationError(name, `${name} is required and must be a non-empty string`);
  }
  return value;
}

/** Reads a response body, refusing absurdly large ones instead of buffering them. */
async function readBoundedText(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    return '';
  }
  const text = await response.text();
  return text.length > MAX_RESPONSE_BYTES ? '' : text;
}
