import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );

/** OWASP's scrypt floor (N=2^17, r=8, p=1), stored with its parameters so they can be raised later. */
const PARAMS = { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 } as const;
const KEYLEN = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** False for a wrong password and for a stored hash that is not one of ours: never throws. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key, ...rest] = stored.split('$');
  const params = { N: Number(n), r: Number(r), p: Number(p), maxmem: PARAMS.maxmem };
  const expected = Buffer.from(key ?? '', 'base64url');
  const sane =
    alg === 'scrypt' && rest.length === 0 && expected.length >= 16 && Buffer.from(salt ?? '', 'base64url').length >= 16 &&
    Number.isInteger(Math.log2(params.N)) && params.N >= 2 ** 14 && params.N <= 2 ** 20 &&
    Number.isInteger(params.r) && params.r >= 1 && params.r <= 32 && Number.isInteger(params.p) && params.p >= 1 && params.p <= 16;
  if (!sane) return false;
  try {
    const actual = await scrypt(password, Buffer.from(salt!, 'base64url'), expected.length, params);
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

export interface TokenClaims {
  sub: string;
  role: 'member' | 'admin';
}

export class Tokens {
  private readonly key: Uint8Array;

  constructor(secret: string, private readonly ttlSeconds: number) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(claims: TokenClaims): Promise<{ token: string; expires_at: number }> {
    const expires_at = Date.now() + this.ttlSeconds * 1000;
    const token = await new SignJWT({ role: claims.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuedAt()
      .setIssuer('mchat')
      .setExpirationTime(Math.floor(expires_at / 1000))
      .sign(this.key);
    return { token, expires_at };
  }

  /** The claims of a valid, unexpired token, or undefined. */
  async verify(token: string): Promise<TokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'mchat', algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string') return undefined;
      return { sub: payload.sub, role: payload.role === 'admin' ? 'admin' : 'member' };
    } catch {
      return undefined;
    }
  }
}

/** Constant-time comparison for shared secrets of any length. */
export function secretEquals(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
