import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ActOnConfigurationError, ActOnDecryptionError } from './errors';

/** Algorithm name written into encrypted token files. */
export const ENCRYPTION_ALG = 'A256GCM';

/** Shape of an encrypted token file. All binary fields are base64. */
export interface EncryptedEnvelope {
  readonly format: 1;
  readonly alg: typeof ENCRYPTION_ALG;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds the ciphertext to this file format, so a blob encrypted for another purpose with the same key is refused. */
const AAD = Buffer.from('acton-auth token file v1', 'utf8');

/**
 * Turns the `encryptionKey` option into 32 key bytes: a 32-byte Buffer, 64 hex characters, or base64
 * (standard or URL-safe, padding optional) of 32 bytes. Anything else throws `ActOnConfigurationError`;
 * the message describes the expected shape and never echoes the key.
 */
export function parseEncryptionKey(key: unknown): Buffer {
  if (Buffer.isBuffer(key)) {
    if (key.length === 32) return Buffer.from(key);
    throw new ActOnConfigurationError(
      'encryptionKey',
      `encryptionKey must be 32 bytes for AES-256-GCM; the Buffer given has ${key.length} bytes`,
    );
  }
  if (typeof key === 'string') {
    const trimmed = key.trim();
    if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
    if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
      const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
      if (bytes.length === 32) return bytes;
    }
    throw new ActOnConfigurationError(
      'encryptionKey',
      `encryptionKey must be 32 random bytes given as a Buffer, 64 hex characters or base64 ` +
        `(a string of ${trimmed.length} characters was given), e.g. from: ` +
        `node -e "console.log(require('crypto').randomBytes(32).toString('hex'))"`,
    );
  }
  throw new ActOnConfigurationError(
    'encryptionKey',
    `encryptionKey must be a Buffer or a string, got ${key === null ? 'null' : typeof key}`,
  );
}

/** Encrypts `plaintext` with a fresh random IV. */
export function encryptTokenFile(plaintext: string, key: Buffer): EncryptedEnvelope {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(AAD);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    format: 1,
    alg: ENCRYPTION_ALG,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/** True for a parsed file that is an encrypted envelope (whatever its state), as opposed to plaintext content. */
export function looksEncrypted(parsed: unknown): boolean {
  return typeof parsed === 'object' && parsed !== null && 'alg' in parsed && !('accounts' in parsed);
}

/**
 * Decrypts an envelope read from `path`. A wrong key, an altered file or a malformed envelope all throw
 * `ActOnDecryptionError`: GCM cannot tell them apart, and none of them may be "repaired" by overwriting.
 */
export function decryptTokenFile(envelope: unknown, key: Buffer, path: string): string {
  if (typeof envelope !== 'object' || envelope === null) throw new ActOnDecryptionError(path);
  const e = envelope as Record<string, unknown>;
  if (
    e.format !== 1 ||
    e.alg !== ENCRYPTION_ALG ||
    typeof e.iv !== 'string' ||
    typeof e.tag !== 'string' ||
    typeof e.data !== 'string'
  ) {
    throw new ActOnDecryptionError(path);
  }
  const iv = Buffer.from(e.iv, 'base64');
  const tag = Buffer.from(e.tag, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new ActOnDecryptionError(path);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(AAD);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(e.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    // The crypto error says nothing useful and must not become a `cause` that someone logs.
    throw new ActOnDecryptionError(path);
  }
}
