import { createHmac, createSecretKey, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto';

/** What the state cookie carries. Signed, not encrypted: the browser can read it. */
export interface StateCookiePayload {
  /** The nonce sent to Act-On as `state`. */
  readonly nonce: string;
  /** Epoch ms after which the cookie is refused. */
  readonly expiresAt: number;
  /** Application state passed as `authenticate(..., { state: {...} })`, returned as `info.state`. */
  readonly appState?: unknown;
}

const HKDF_INFO = 'passport-acton state cookie v1';

/**
 * A 32-byte HMAC key from any secret with HKDF-SHA256. The salt separates keys of different Act-On applications
 * that happen to share a secret.
 */
export function deriveStateKey(secret: string | Uint8Array, salt: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, HKDF_INFO, 32));
}

/** The derived key as a KeyObject, imported once rather than on every HMAC. */
export function stateSigningKey(secret: string | Uint8Array, salt: string): KeyObject {
  return createSecretKey(deriveStateKey(secret, salt));
}

function sign(key: KeyObject, cookieName: string, payload: string): string {
  // The cookie name is signed too, so a value cannot be moved to another cookie of this package.
  return createHmac('sha256', key).update(`${cookieName}\n${payload}`).digest('base64url');
}

/** `base64url(JSON payload).base64url(HMAC-SHA256)`. */
export function encodeStateCookie(key: KeyObject, cookieName: string, payload: StateCookiePayload): string {
  const body: { n: string; x: number; s?: unknown } = { n: payload.nonce, x: payload.expiresAt };
  if (payload.appState !== undefined) body.s = payload.appState;
  const encoded = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
  return `${encoded}.${sign(key, cookieName, encoded)}`;
}

/** The payload of a cookie value whose signature holds, else undefined (tampered, truncated, foreign). */
export function decodeStateCookie(
  key: KeyObject,
  cookieName: string,
  value: string,
): StateCookiePayload | undefined {
  const dot = value.indexOf('.');
  if (dot <= 0 || dot !== value.lastIndexOf('.')) return undefined;
  const encoded = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = Buffer.from(sign(key, cookieName, encoded), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const { n, x, s } = body as { n?: unknown; x?: unknown; s?: unknown };
  if (typeof n !== 'string' || n === '' || typeof x !== 'number' || !Number.isFinite(x)) return undefined;
  return s === undefined ? { nonce: n, expiresAt: x } : { nonce: n, expiresAt: x, appState: s };
}

/** Constant-time string comparison for the nonce. */
export function sameNonce(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
