import type { IssuedPair } from './token-registry';

/** The body of a successful `POST /token`, exactly as Act-On sends it. */
export interface TokenResponseBody {
  access_token: string;
  refresh_token: string;
  scope: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Shapes an issued pair as Act-On's token response. */
export function toTokenResponse(pair: IssuedPair, scope: string, expiresInSec: number): TokenResponseBody {
  return {
    access_token: pair.accessToken,
    refresh_token: pair.refreshToken,
    scope,
    token_type: 'Bearer',
    expires_in: expiresInSec,
  };
}
