const REDACTED = '[redacted]';
const MAX_TEXT_LENGTH = 300;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]+/g;

/**
 * Replaces every occurrence of the given secrets in `text` with `[redacted]`: as sent, form-encoded and
 * percent-encoded (a server that echoes a request body shows them encoded). Values shorter than 4 characters are
 * left alone: they would redact ordinary words, and real secrets are long. Nothing else is changed.
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let redacted = text;
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 4) continue;
    for (const spelling of new Set([secret, formEncoded(secret), percentEncoded(secret)])) {
      if (spelling !== undefined) redacted = redacted.split(spelling).join(REDACTED);
    }
  }
  return redacted;
}

/**
 * Makes a text that came from a third party (e.g. an `error_description`) fit for an error message: secrets
 * redacted ({@link redactSecrets}), control characters collapsed, length bounded (default 300).
 */
export function scrubSecrets(
  text: string,
  secrets: ReadonlyArray<string | undefined>,
  maxLength: number = MAX_TEXT_LENGTH,
): string {
  const scrubbed = redactSecrets(text, secrets).replace(CONTROL_CHARACTERS, ' ').trim();
  return scrubbed.length > maxLength ? `${scrubbed.slice(0, maxLength)}…` : scrubbed;
}

function formEncoded(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function percentEncoded(value: string): string | undefined {
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate cannot be percent-encoded; the form encoding above still covers it.
    return undefined;
  }
}
