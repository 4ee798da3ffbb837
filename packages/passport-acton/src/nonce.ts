import { randomFillSync } from 'node:crypto';

const NONCE_BYTES = 24;
const POOL_NONCES = 128;

// One randomFillSync per 128 nonces instead of a randomBytes call per login: the pool is refilled before reuse,
// and no byte is ever handed out twice.
const pool = Buffer.alloc(NONCE_BYTES * POOL_NONCES);
let offset = pool.length;

/** A fresh 192-bit random value, base64url (32 characters): the `state` sent to Act-On. */
export function createNonce(): string {
  if (offset + NONCE_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const nonce = pool.toString('base64url', offset, offset + NONCE_BYTES);
  offset += NONCE_BYTES;
  return nonce;
}
