import type { ServerResponse } from 'node:http';

/** Attributes of a `Set-Cookie` header this package writes. */
export interface CookieAttributes {
  readonly path: string;
  /** Seconds; 0 deletes the cookie. */
  readonly maxAgeSec: number;
  readonly secure: boolean;
}

/** RFC 6265 cookie-name: an HTTP token. */
export const COOKIE_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Every value sent for cookie `name` in a `Cookie` header, in order. Browsers send one value per matching path, so
 * there can be several; no cookie-parser needed.
 */
export function readCookieValues(header: string | string[] | undefined, name: string): string[] {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  const values: string[] = [];
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

/** A `Set-Cookie` value that is HttpOnly and SameSite=Lax: Lax still reaches the callback, a top-level GET. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  const parts = [
    `${name}=${value}`,
    `Path=${attributes.path}`,
    `Max-Age=${attributes.maxAgeSec}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (attributes.maxAgeSec === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (attributes.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Adds a `Set-Cookie` header without dropping the ones other middleware (a session, say) already set. */
export function appendSetCookie(res: ServerResponse, cookie: string): void {
  const existing = res.getHeader('Set-Cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('Set-Cookie', [...list, cookie]);
}
