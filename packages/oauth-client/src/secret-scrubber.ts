const REDACTED = '[redacted]';
const MAX_TEXT_LENGTH = 300;

/**
 * Removes every known secret from a text that came from a third party (e.g. an `error_description`)
 * before it goes into an error message, and bounds its length.
 */
export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let scrubbed = text;
  for (const secret of secrets) {
    // Short values would redact ordinary words; real secrets are long.
    if (secret === undefined || secret.length < 4) continue;
    // A server that echoes the request body shows the secret as it was sent: form-encoded.
    for (const spelling of new Set([secret, formEncoded(secret), percentEncoded(secret)])) {
      if (spelling !== undefined) scrubbed = scrubbed.split(spelling).join(REDACTED);
    }
  }
  // eslint-disable-next-line no-control-regex
  scrubbed = scrubbed.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return scrubbed.length > MAX_TEXT_LENGTH ? `${scrubbed.slice(0, MAX_TEXT_LENGTH)}…` : scrubbed;
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
