import { ActOnNetworkError, ActOnTimeoutError } from './errors';

/** Connection errors that prove the request never left this machine, so retrying it cannot duplicate it. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Maps a failed `fetch` to a typed, secret-free error that says whether the request may have reached Act-On.
 * `what` names the endpoint, e.g. "Act-On's token endpoint".
 */
export function toNetworkError(
  error: unknown,
  signal: AbortSignal,
  timeoutMs: number,
  what: string,
): ActOnNetworkError {
  if (signal.aborted) return new ActOnTimeoutError(timeoutMs);
  const code = errorCodeOf(error);
  const requestSent = code === undefined || !NOT_SENT_CODES.has(code);
  return new ActOnNetworkError(
    `Could not complete the request to ${what}: ${code ?? 'network failure'}`,
    requestSent,
    {
      cause: error,
    },
  );
}
