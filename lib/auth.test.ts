import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, secretEquals, Tokens, verifyPassword } from './auth.js';

// scrypt is deliberately slow (~0.3 s a hash): this file runs five of them.
describe('passwords', () => {
  const password = 'correct horse battery 电池';
  let first = '';
  let second = '';
  beforeAll(async () => {
    [first, second] = await Promise.all([hashPassword(password), hashPassword(password)]);
  });

  it('stores the algorithm, its parameters and a salt', () => {
    const parts = first.split('$');
    expect(parts).toHaveLength(6);
    expect(parts[0]).toBe('scrypt');
    expect(Number(parts[1])).toBeGreaterThanOrEqual(2 ** 17);
    expect(first).not.toContain(password);
  });
  it('salts: the same password hashes differently each time', () => {
    expect(second).not.toBe(first);
    expect(second.split('$')[4]).not.toBe(first.split('$')[4]);
  });
  it('verifies the right password and refuses a wrong one', async () => {
    const [right, wrong, empty] = await Promise.all([
      verifyPassword(password, first),
      verifyPassword('correct horse battery 电', first),
      verifyPassword('', second),
    ]);
    expect(right).toBe(true);
    expect(wrong).toBe(false);
    expect(empty).toBe(false);
  });
  it.each(['', 'plaintext', 'bcrypt$2b$10$abc', 'scrypt', 'scrypt$131072$8$1', 'scrypt$131072$8$1$c2FsdA', 'scrypt$131072$8$1$$AAAA'])(
    'refuses a stored value of unknown format %j',
    async (stored) => expect(await verifyPassword('anything', stored)).toBe(false),
  );
  it('a stored hash whose key decodes to zero bytes must not match every password', async () => {
    // `=` is a non-empty string that base64url-decodes to an empty buffer: scrypt with keylen 0 "matches" anything.
    expect(await verifyPassword('any password at all', 'scrypt$16$1$1$c2FsdA$=')).toBe(false);
  });
  it('a stored hash with non-numeric parameters is refused (false), not thrown', async () => {
    await expect(verifyPassword('x', 'scrypt$abc$8$1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).resolves.toBe(false);
  });
});

describe('Tokens', () => {
  const secret = 's'.repeat(32);
  const tokens = new Tokens(secret, 3600);
  const key = new TextEncoder().encode(secret);
  const craft = (claims: Record<string, unknown>, exp: number, opts: { iss?: string; sub?: string } = {}) => {
    let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp);
    if (opts.iss !== '') jwt = jwt.setIssuer(opts.iss ?? 'mchat');
    if (opts.sub !== '') jwt = jwt.setSubject(opts.sub ?? 'u_li');
    return jwt.sign(key);
  };
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

  it('issues a token that verifies to the same claims, with its expiry', async () => {
    const before = Date.now();
    const { token, expires_at } = await tokens.issue({ sub: 'u_li', role: 'admin' });
    expect(await tokens.verify(token)).toEqual({ sub: 'u_li', role: 'admin' });
    expect(expires_at).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expires_at).toBeLessThanOrEqual(Date.now() + 3600_000);
    const member = await tokens.issue({ sub: 'u_wang', role: 'member' });
    expect(await tokens.verify(member.token)).toEqual({ sub: 'u_wang', role: 'member' });
  });
  it('verifies a token from another instance with the same secret', async () => {
    const { token } = await tokens.issue({ sub: 'u_li', role: 'member' });
    expect(await new Tokens(secret, 60).verify(token)).toEqual({ sub: 'u_li', role: 'member' });
  });
  it('refuses an expired token', async () => {
    expect(await tokens.verify(await craft({ role: 'member' }, Math.floor(Date.now() / 1000) - 60))).toBeUndefined();
    const expired = await new Tokens(secret, -60).issue({ sub: 'u_li', role: 'member' });
    expect(await tokens.verify(expired.token)).toBeUndefined();
  });
  it('accepts a crafted token with the right secret and issuer (the crafting is sound)', async () => {
    expect(await tokens.verify(await craft({ role: 'admin' }, inAnHour()))).toEqual({ sub: 'u_li', role: 'admin' });
  });
  it('refuses a token signed with another secret', async () => {
    const { token } = await new Tokens('t'.repeat(32), 3600).issue({ sub: 'u_li', role: 'admin' });
    expect(await tokens.verify(token)).toBeUndefined();
  });
  it('refuses a tampered token', async () => {
    const { token } = await tokens.issue({ sub: 'u_li', role: 'member' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    expect(await tokens.verify(`${h}.${forged}.${s}`)).toBeUndefined();
    const flipped = s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1);
    expect(await tokens.verify(`${h}.${p}.${flipped}`)).toBeUndefined();
  });
  it('refuses an unsigned (alg none) token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'u_li', role: 'admin', iss: 'mchat', exp: inAnHour() })).toString('base64url');
    expect(await tokens.verify(`${header}.${payload}.`)).toBeUndefined();
  });
  it('refuses tokens without issuer, with another issuer, or without subject', async () => {
    expect(await tokens.verify(await craft({ role: 'admin' }, inAnHour(), { iss: '' }))).toBeUndefined();
    expect(await tokens.verify(await craft({ role: 'admin' }, inAnHour(), { iss: 'evil' }))).toBeUndefined();
    expect(await tokens.verify(await craft({ role: 'admin' }, inAnHour(), { sub: '' }))).toBeUndefined();
  });
  it('treats any role other than admin as member', async () => {
    expect(await tokens.verify(await craft({ role: 'root' }, inAnHour()))).toEqual({ sub: 'u_li', role: 'member' });
    expect(await tokens.verify(await craft({}, inAnHour()))).toEqual({ sub: 'u_li', role: 'member' });
  });
  it.each(['', 'garbage', 'a.b.c', 'a.b'])('refuses a malformed token %j', async (t) => {
    expect(await tokens.verify(t)).toBeUndefined();
  });
});

describe('secretEquals', () => {
  it.each([
    ['same', 'same', true],
    ['', '', true],
    ['密钥', '密钥', true],
    ['same', 'sane', false],
    ['same', 'same ', false],
    ['same', '', false],
    ['', 'same', false],
    ['é', 'e\u0301', false],
  ])('%j vs %j -> %s', (a, b, expected) => expect(secretEquals(a, b)).toBe(expected));
});
