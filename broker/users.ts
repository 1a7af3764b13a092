// Broker users: scrypt password hashes (never plaintext) and the directory the broker's
// authenticate hook asks. Hash format: `scrypt$N$r$p$salt$hash` (salt and hash in base64url).
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Role } from '../src/core/acl/index.js';

export interface UserRecord {
  /** User name; for the agent role it is the agent id. */
  readonly name: string;
  readonly role: Role;
  /** `scrypt$N$r$p$salt$hash` */
  readonly password_hash: string;
}

/** scrypt cost: N=2^14, r=8 costs ~16 MiB and some tens of ms per check (OWASP's minimum). */
export const SCRYPT_DEFAULTS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
// Upper bounds on the parameters read from a users file, so a crafted file cannot make the
// broker allocate gigabytes per login.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

export const PASSWORD_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export function parsePasswordHash(encoded: string): ParsedHash | null {
  if (!PASSWORD_HASH_PATTERN.test(encoded)) return null;
  const [, n, r, p, salt, hash] = encoded.split('$');
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  if (!Number.isSafeInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return null;
  if (!Number.isSafeInteger(R) || R < 1 || R > MAX_R) return null;
  if (!Number.isSafeInteger(P) || P < 1 || P > MAX_P) return null;
  const saltBuf = Buffer.from(salt ?? '', 'base64url');
  const hashBuf = Buffer.from(hash ?? '', 'base64url');
  if (saltBuf.byteLength < 8 || hashBuf.byteLength < 16) return null;
  return { N, r: R, p: P, salt: saltBuf, hash: hashBuf };
}

function derive(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  bytes: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must cover 128 * N * r bytes, scrypt's working set.
    scrypt(password, salt, bytes, { N, r, p, maxmem: 256 * N * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(
  password: string,
  params: { N: number; r: number; p: number } = SCRYPT_DEFAULTS,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params.N, params.r, params.p, KEY_BYTES);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

/** Constant-time comparison of a password with its encoded hash; false for a malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.N, parsed.r, parsed.p, parsed.hash.byteLength);
  return timingSafeEqual(key, parsed.hash);
}

export interface UserDirectory {
  readonly size: number;
  has(name: string): boolean;
  /** The user's role when the password is right, else null. */
  verify(name: string, password: Buffer | string | undefined): Promise<Role | null>;
}

/**
 * A directory over a fixed list of users. A successful check is remembered (as a SHA-256 of
 * the password, in memory only) so a reconnect storm of agents does not cost one scrypt each.
 */
export function createUserDirectory(records: readonly UserRecord[]): UserDirectory {
  const users = new Map<string, UserRecord>();
  for (const record of records) users.set(record.name, record);
  const remembered = new Map<string, Buffer>();
  // An unknown user still costs one scrypt, so timing does not tell which names exist.
  let decoy: Promise<string> | null = null;
  return {
    get size() {
      return users.size;
    },
    has: (name) => users.has(name),
    async verify(name, password) {
      const text = password === undefined ? '' : password.toString('utf8');
      const record = users.get(name);
      if (!record) {
        decoy ??= hashPassword('decoy');
        await verifyPassword(text, await decoy);
        return null;
      }
      const digest = createHash('sha256').update(record.password_hash).update('\0').update(text).digest();
      const known = remembered.get(name);
      if (known && timingSafeEqual(known, digest)) return record.role;
      if (!(await verifyPassword(text, record.password_hash))) return null;
      remembered.set(name, digest);
      return record.role;
    },
  };
}
