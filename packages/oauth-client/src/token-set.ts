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

/**
 * Why `value` is not a usable {@link TokenSet}, or `undefined` when it is. Empty tokens are refused; times must be
 * finite (NaN and Infinity would not survive JSON).
 */
export function tokenSetProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'it is not an object';
  const t = value as Record<string, unknown>;
  if (typeof t.accessToken !== 'string' || t.accessToken === '') return 'accessToken is missing';
  if (typeof t.refreshToken !== 'string' || t.refreshToken === '') return 'refreshToken is missing';
  if (typeof t.tokenType !== 'string') return 'tokenType is not a string';
  if (t.scope !== undefined && typeof t.scope !== 'string') return 'scope is not a string';
  if (typeof t.expiresAt !== 'number' || !Number.isFinite(t.expiresAt))
    return 'expiresAt is not a finite number';
  if (typeof t.obtainedAt !== 'number' || !Number.isFinite(t.obtainedAt))
    return 'obtainedAt is not a finite number';
  return undefined;
}

/**
 * A plain copy of the {@link TokenSet} fields of `value`, and nothing else (no extra field, getter, `toJSON` or
 * prototype a caller hung on it), or `undefined` when `value` is not a usable TokenSet. Each field is read once,
 * so a getter cannot answer differently to the check and to the copy; a getter that throws makes it unusable.
 */
export function copyTokenSet(value: unknown): TokenSet | undefined {
  let fields: Record<keyof TokenSet, unknown>;
  try {
    if (typeof value !== 'object' || value === null) return undefined;
    const t = value as Record<keyof TokenSet, unknown>;
    fields = {
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      tokenType: t.tokenType,
      scope: t.scope,
      expiresAt: t.expiresAt,
      obtainedAt: t.obtainedAt,
    };
  } catch {
    return undefined;
  }
  if (tokenSetProblem(fields) !== undefined) return undefined;
  const { scope, ...rest } = fields as unknown as TokenSet;
  return scope === undefined ? { ...rest } : { ...rest, scope };
}
