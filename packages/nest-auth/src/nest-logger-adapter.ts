import type { LoggerService } from '@nestjs/common';
import type { ActOnLogger } from '@acton/oauth-client';

/**
 * Field names whose values are never printed. The core promises secret-free fields already; this is a second
 * line of defence, so that a future field named after a secret cannot reach an app's logs.
 */
const SECRET_FIELD =
  /secret|password|passwd|access_?token|refresh_?token|^token$|authorization|cookie|encryption_?key|^code$/i;
const REDACTED = '[redacted]';

function cleanValue(value: unknown, depth: number): unknown {
  if (value instanceof Error) {
    // ActOnError.toJSON() leaves out `cause` (third-party text) and is secret-free by contract.
    const json = (value as { toJSON?: () => unknown }).toJSON;
    return typeof json === 'function'
      ? cleanValue(json.call(value), depth)
      : { name: value.name, message: value.message };
  }
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol'
      ? String(value)
      : value;
  }
  if (depth >= 3) return '[object]';
  if (Array.isArray(value)) return value.slice(0, 20).map((item) => cleanValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) ? REDACTED : cleanValue(item, depth + 1);
  }
  return out;
}

/** `message {"field":…}` with secret-named fields redacted; never throws (a log line must not break a grant). */
export function formatLogLine(message: string, fields?: Record<string, unknown>): string {
  if (fields === undefined || Object.keys(fields).length === 0) return message;
  try {
    return `${message} ${JSON.stringify(cleanValue(fields, 0))}`;
  } catch {
    return message;
  }
}

/**
 * Maps the core's {@link ActOnLogger} onto a Nest logger: `info` becomes `log`, the other levels keep their
 * names. A Nest `Logger` instance follows whatever logger the app installs (`app.useLogger`, `bufferLogs`).
 */
export function createActOnLogger(logger: LoggerService): ActOnLogger {
  return {
    debug: (message, fields) => logger.debug?.(formatLogLine(message, fields)),
    info: (message, fields) => logger.log(formatLogLine(message, fields)),
    warn: (message, fields) => logger.warn(formatLogLine(message, fields)),
    error: (message, fields) => logger.error(formatLogLine(message, fields)),
  };
}
