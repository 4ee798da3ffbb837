/** Parameters of a form body or query string: each name exactly once. */
export type FormParams = ReadonlyMap<string, string>;

/** Outcome of {@link parseFormUrlEncoded}; `error` is safe to echo (it never contains a value). */
export type FormParseResult = { ok: true; params: FormParams } | { ok: false; error: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

/** Percent-decodes bytes strictly: a `%` not followed by two hex digits is an error, not a literal. */
function decodeComponent(bytes: Uint8Array): string | undefined {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0x25) {
      const hi = hexValue(bytes[i + 1] ?? -1);
      const lo = hexValue(bytes[i + 2] ?? -1);
      if (hi < 0 || lo < 0) return undefined;
      out[n++] = hi * 16 + lo;
      i += 2;
    } else {
      out[n++] = b === 0x2b ? 0x20 : b;
    }
  }
  try {
    return utf8.decode(out.subarray(0, n));
  } catch {
    return undefined;
  }
}

/**
 * Parses `application/x-www-form-urlencoded` strictly. Lenient parsers (URLSearchParams) keep malformed
 * escapes and the last of duplicated names, which would let a sloppy client pass here and fail at Act-On;
 * so malformed escapes, invalid UTF-8, empty names and duplicated names are all errors.
 */
export function parseFormUrlEncoded(input: Uint8Array | string): FormParseResult {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const params = new Map<string, string>();
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x26, start);
    if (end < 0) end = bytes.length;
    const segment = bytes.subarray(start, end);
    start = end + 1;
    if (segment.length === 0) continue;
    const eq = segment.indexOf(0x3d);
    const name = decodeComponent(eq < 0 ? segment : segment.subarray(0, eq));
    const value = eq < 0 ? '' : decodeComponent(segment.subarray(eq + 1));
    if (name === undefined || value === undefined) {
      return { ok: false, error: 'Malformed form encoding (bad percent-escape or invalid UTF-8)' };
    }
    if (name.length === 0) return { ok: false, error: 'Malformed form encoding (empty parameter name)' };
    if (params.has(name)) return { ok: false, error: `Duplicated parameter: ${printableName(name)}` };
    params.set(name, value);
  }
  return { ok: true, params };
}

/** Parameter names are echoed in errors; keep them short and printable. */
function printableName(name: string): string {
  const clean = name.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}...` : clean;
}

/** Outcome of {@link checkFormContentType}. */
export type ContentTypeCheck = { ok: true } | { ok: false; error: string };

/** Accepts `application/x-www-form-urlencoded` with an optional UTF-8 charset and nothing else. */
export function checkFormContentType(header: string | undefined): ContentTypeCheck {
  const expected = 'Content-Type must be application/x-www-form-urlencoded';
  if (header === undefined) return { ok: false, error: expected };
  const [mediaType = '', ...parameters] = header.split(';');
  if (mediaType.trim().toLowerCase() !== 'application/x-www-form-urlencoded')
    return { ok: false, error: expected };
  for (const parameter of parameters) {
    const eq = parameter.indexOf('=');
    const name = parameter
      .slice(0, eq < 0 ? parameter.length : eq)
      .trim()
      .toLowerCase();
    const value =
      eq < 0
        ? ''
        : parameter
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1')
            .toLowerCase();
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') {
      return { ok: false, error: 'Only the UTF-8 charset is supported' };
    }
  }
  return { ok: true };
}
