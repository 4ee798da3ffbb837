/**
 * What the session keeps about a signed-in person: who they are, never a token. The token pair lives in
 * `ActOnTokenService` under `accountId`.
 */
export interface SignedInUser {
  readonly accountId: string;
  readonly displayName: string;
  readonly email: string | undefined;
  readonly accountName: string | undefined;
  readonly login: string | undefined;
}
