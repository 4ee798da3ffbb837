/**
 * A validated pair of Act-On tokens, as returned by every grant of {@link ActOnOAuthClient}.
 *
 * Times are epoch milliseconds. `expiresAt` is computed from the `expires_in` that arrived
 * (Act-On has sent both 3600 and 86400), never assumed.
 */
export interface TokenSet {
  /** Bearer token for Act-On's REST API. Secret. */
  readonly accessToken: string;
  /** Single-use refresh token. Secret: it dies once used, or when any new pair is issued for the same client and username. */
  readonly refreshToken: string;
  /** Always `'Bearer'` for Act-On, kept as sent. */
  readonly tokenType: string;
  /** Scope as sent (`offline-access`, `default`, `PRODUCTION` have been seen). */
  readonly scope?: string;
  /** When the access token stops working (epoch ms). */
  readonly expiresAt: number;
  /** When this pair was received (epoch ms). */
  readonly obtainedAt: number;
}
