import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The key that signs tickets and host cookies: from configuration when given, else generated
 * on first start into `<data>/secrets/signing.key` (mode 0600) and reused after.
 */
export async function loadSigningKey(dataDir: string, configured?: string): Promise<Buffer> {
  if (configured) {
    const key = /^[0-9a-f]+$/i.test(configured) ? Buffer.from(configured, 'hex') : Buffer.from(configured, 'base64');
    if (key.length < 32) throw new Error('CODEYARD_SIGNING_KEY must be at least 32 bytes (64 hex characters or 44 base64 characters)');
    return key;
  }
  const dir = path.join(dataDir, 'secrets');
  const file = path.join(dir, 'signing.key');
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    return Buffer.from((await fs.readFile(file, 'utf8')).trim(), 'hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  try {
    await fs.writeFile(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return Buffer.from((await fs.readFile(file, 'utf8')).trim(), 'hex');
    throw err;
  }
}
