import { ActOnProfileError, ActOnTokenError } from 'passport-acton';

/** Why a sign-in failed, in words a person can act on. */
export interface SignInFailure {
  readonly reason: 'denied' | 'state' | 'budget' | 'api_access' | 'other';
  readonly status: number;
  readonly title: string;
  readonly explanation: string;
}

/**
 * Tells apart the failures a person can do something about. `@nestjs/passport`'s default guard turns all of them
 * into a bare 401; this maps passport's `(error, info)` and the callback's query to a reason.
 */
export function describeSignInFailure(
  error: unknown,
  info: unknown,
  query: Record<string, unknown>,
): SignInFailure {
  const message =
    typeof (info as { message?: unknown })?.message === 'string' ? (info as { message: string }).message : '';
  if (query.error === 'access_denied') {
    return {
      reason: 'denied',
      status: 403,
      title: 'You did not authorize this app',
      explanation:
        'Act-On reported that access was denied on its consent page. Sign in again and choose "Authorize".',
    };
  }
  if (message.startsWith('Invalid authorization request state')) {
    return {
      reason: 'state',
      status: 400,
      title: 'This sign-in link is not valid any more',
      explanation:
        'The sign-in request did not match this browser (its state was missing, expired, altered or already used). ' +
        'This protects you against cross-site request forgery. Start again from the home page.',
    };
  }
  if (error instanceof ActOnTokenError && (error.status === 429 || /too_many|limit/i.test(error.error))) {
    return {
      reason: 'budget',
      status: 429,
      title: "Act-On's login limit is reached",
      explanation:
        'Act-On allows 5 logins per hour for an account. Wait a while and sign in again; signing in again now would ' +
        'only be refused.',
    };
  }
  if (error instanceof ActOnProfileError && error.reason === 'api_access_not_enabled') {
    return {
      reason: 'api_access',
      status: 403,
      title: 'This Act-On account has no API access',
      explanation:
        'Act-On answered PUBLIC_API_FEATURE_NOT_ENABLED: the account may not use the API. Ask Act-On support to ' +
        'enable API access for it, or sign in with another account.',
    };
  }
  return {
    reason: 'other',
    status: 401,
    title: 'Sign-in failed',
    explanation:
      error instanceof Error
        ? `Act-On sign-in did not complete: ${error.message}`
        : message !== ''
          ? message
          : 'Act-On sign-in did not complete.',
  };
}
