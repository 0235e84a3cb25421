import { createHash, randomBytes } from 'node:crypto';

/** A bearer secret: 32 random bytes, URL-safe. Stored only as its hash. */
export const newSecret = () => randomBytes(32).toString('base64url');

/** Secrets are high-entropy random strings, so a plain SHA-256 is enough (no password stretching). */
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
