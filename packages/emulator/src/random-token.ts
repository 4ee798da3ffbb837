import { randomBytes } from 'node:crypto';

/** An opaque, unguessable token or code, URL-safe so it travels in query strings untouched. */
export function randomToken(): string {
  return randomBytes(24).toString('base64url');
}
