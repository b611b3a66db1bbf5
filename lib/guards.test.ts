import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { agentRateLimiter, MASK, sensitiveFilter } from './guards.js';

/** Against the run's real Redis, each test with a prefix of its own. */
describe('agentRateLimiter', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('services').redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis.quit();
  });
  const freshPrefix = () => `t-guards-${Date.now()}-${Math.random().toString(36).slice(2)}:`;

  it('lets an agent make its calls of the minute, then says how long to wait', async () => {
    const limiter = agentRateLimiter(redis, freshPrefix(), 3);
    for (let i = 0; i < 3; i++) expect(await limiter.take('a_sales')).toEqual({ ok: true });
    const refused = await limiter.take('a_sales');
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
  });

  it('counts each agent on its own', async () => {
    const limiter = agentRateLimiter(redis, freshPrefix(), 1);
    expect(await limiter.take('a_sales')).toEqual({ ok: true });
    expect(await limiter.take('a_finance')).toEqual({ ok: true });
    expect((await limiter.take('a_sales')).ok).toBe(false);
  });

  it('shares one budget between worker processes (two limiters, two connections)', async () => {
    const prefix = freshPrefix();
    const other = new Redis(inject('services').redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const workerA = agentRateLimiter(redis, prefix, 2);
      const workerB = agentRateLimiter(other, prefix, 2);
      expect(await workerA.take('a_sales')).toEqual({ ok: true });
      expect(await workerB.take('a_sales')).toEqual({ ok: true });
      expect((await workerA.take('a_sales')).ok).toBe(false);
      expect((await workerB.take('a_sales')).ok).toBe(false);
    } finally {
      await other.quit();
    }
  });

  it('keys its counters under the prefix', async () => {
    const prefix = freshPrefix();
    await agentRateLimiter(redis, prefix, 5).take('a_sales');
    expect(await redis.keys(`${prefix}agent-rate*`)).toHaveLength(1);
  });
});

describe('sensitiveFilter examples', () => {
  const filter = sensitiveFilter(['机密', 'password', '内部价']);

  it('masks Chinese and Latin words, whatever their case, one ＊ per character', () => {
    expect(filter('这是机密，PassWord 是 x')).toEqual({ text: '这是＊＊，＊＊＊＊＊＊＊＊ 是 x', hits: ['机密', 'password'] });
  });

  it('names each hit once, as listed, in order of first appearance', () => {
    expect(filter('内部价 机密 内部价 PASSWORD 机密').hits).toEqual(['内部价', '机密', 'password']);
  });

  it('masks a word that contains a shorter listed word whole', () => {
    const f = sensitiveFilter(['密码', '密码本']);
    expect(f('拿密码本来')).toEqual({ text: '拿＊＊＊来', hits: ['密码本'] });
  });

  it('takes words with regex characters literally', () => {
    expect(sensitiveFilter(['a.b', '(x)'])('axb a.b (x) x')).toEqual({ text: 'axb ＊＊＊ ＊＊＊ x', hits: ['a.b', '(x)'] });
  });

  it('leaves text without hits, and everything under an empty list, unchanged', () => {
    expect(filter('订单 SO-1001 已发货')).toEqual({ text: '订单 SO-1001 已发货', hits: [] });
    expect(sensitiveFilter([])('机密 password')).toEqual({ text: '机密 password', hits: [] });
    expect(sensitiveFilter(['', ''])('机密')).toEqual({ text: '机密', hits: [] });
  });

  it('masks an astral character as one character', () => {
    expect(sensitiveFilter(['𠮷野'])('𠮷野家')).toEqual({ text: '＊＊家', hits: ['𠮷野'] });
  });
});

describe('sensitiveFilter properties', () => {
  // A small alphabet of both cases and both scripts, so words and texts often meet. The mask
  // character stays out: a word made of it cannot be masked away.
  const letter = fc.constantFrom('a', 'A', 'b', 'B', 'ß', 'é', 'É', '机', '密', '价', '𠮷', ' ', ',', '1');
  const word = fc.array(letter, { minLength: 1, maxLength: 4 }).map((cs) => cs.join(''));
  const text = fc.array(letter, { maxLength: 40 }).map((cs) => cs.join(''));
  const words = fc.array(word, { maxLength: 5 });
  const containsFolded = (haystack: string, needle: string) => haystack.toLowerCase().includes(needle.toLowerCase());
  const length = (s: string) => [...s].length;

  it('output never contains a listed word, whatever the case', () => {
    fc.assert(
      fc.property(words, text, (ws, t) => {
        const { text: out } = sensitiveFilter(ws)(t);
        for (const w of ws) expect(containsFolded(out, w)).toBe(false);
      }),
    );
  });

  it('text without hits is unchanged', () => {
    fc.assert(
      fc.property(words, text, (ws, t) => {
        fc.pre(ws.every((w) => !containsFolded(t, w)));
        expect(sensitiveFilter(ws)(t)).toEqual({ text: t, hits: [] });
      }),
    );
  });

  it('length is preserved, and only masks are written', () => {
    fc.assert(
      fc.property(words, text, (ws, t) => {
        const out = [...sensitiveFilter(ws)(t).text];
        const original = [...t];
        expect(out.length).toBe(length(t));
        out.forEach((c, i) => expect(c === original[i] || c === MASK).toBe(true));
      }),
    );
  });

  it('hits are distinct listed words that occur in the text', () => {
    fc.assert(
      fc.property(words, text, (ws, t) => {
        const { hits } = sensitiveFilter(ws)(t);
        expect(new Set(hits).size).toBe(hits.length);
        for (const h of hits) {
          expect(ws).toContain(h);
          expect(containsFolded(t, h)).toBe(true);
        }
      }),
    );
  });
});
