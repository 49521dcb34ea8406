import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const INFO = 'codeyard repl secrets v1';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Secrets at rest: AES-256-GCM under a key derived (HKDF-SHA256, info {@link INFO}) from the
 * portal's signing key, so a copy of the database alone (a backup, a PostgreSQL dump) holds no
 * value in the clear. The associated data is `<replId>\0<name>`: a row copied to another repl or
 * renamed does not decrypt, so nobody with write access to the table alone can move a secret
 * into a repl they own. A new signing key makes every stored value unreadable (the README says so).
 */
export class SecretCipher {
  readonly #key: Buffer;

  constructor(signingKey: Buffer) {
    this.#key = Buffer.from(hkdfSync('sha256', signingKey, Buffer.alloc(0), INFO, 32));
  }

  /** `v1.<iv>.<tag>.<ciphertext>` (base64url), with a fresh random IV for every write. */
  encrypt(replId: string, name: string, value: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(replId, name));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /** The value, or undefined when `stored` is not one this key wrote for this repl and name. */
  decrypt(replId: string, name: string, stored: string): string | undefined {
    const parts = stored.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
    const [iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(replId, name));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** The plaintext's size in bytes, read from the envelope without the key (GCM keeps lengths). */
  static plainBytes(stored: string): number {
    const ciphertext = stored.split('.')[3] ?? '';
    return Buffer.from(ciphertext, 'base64url').length;
  }
}

function aad(replId: string, name: string): Buffer {
  return Buffer.from(`${replId}\u0000${name}`, 'utf8');
}
