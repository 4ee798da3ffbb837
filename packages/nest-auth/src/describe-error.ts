/**
 * One secret-free line about an error. `ActOnError` messages are secret-free by the core's contract; any
 * other error (a bug, a third-party library) is reduced to its class name, since its message may quote
 * whatever it was given.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const isActOnError = typeof code === 'string' && error.name.startsWith('ActOn');
    return isActOnError ? `${error.message} [${code}]` : error.name;
  }
  return 'unknown error';
}
