import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redisLocks } from './locks.js';
import { createLogger } from './logger.js';

const log = createLogger('test', 'silent');

/** Against the run's real Redis. */
describe('redisLocks', () => {
  let redis: Redis;
  const prefix = `locks-test-${Date.now()}:`;
  beforeAll(() => {
    redis = new Redis(inject('services').redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it('lets one holder in at a time, and the next once it is done', async () => {
    const locks = redisLocks(redis, prefix, log);
    let release!: () => void;
    const first = locks.hold('k', 'first', () => new Promise<string>((r) => (release = () => r('first done'))));
    await new Promise((r) => setTimeout(r, 20));
    expect(await locks.hold('k', 'second', async () => 'second ran')).toEqual({ ok: false });
    expect(await locks.hold('other', 'second', async () => 'other ran')).toEqual({ ok: true, value: 'other ran' });
    release();
    expect(await first).toEqual({ ok: true, value: 'first done' });
    expect(await locks.hold('k', 'second', async () => 'second ran')).toEqual({ ok: true, value: 'second ran' });
  });

  it('frees a lock whose holder died after its TTL, and a late holder does not free the next one', async () => {
    const slow = redisLocks(redis, prefix, log, 100).hold('ttl', 'slow', () => new Promise((r) => setTimeout(r, 250)));
    await new Promise((r) => setTimeout(r, 150));
    let release!: () => void;
    const next = redisLocks(redis, prefix, log).hold('ttl', 'next', () => new Promise<void>((r) => (release = r)));
    await slow;
    expect(await redis.get(`${prefix}lock:ttl`)).toBe('next');
    release();
    expect(await next).toEqual({ ok: true, value: undefined });
  });

  it('runs the work unguarded while Redis is away', async () => {
    const away = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
    away.on('error', () => undefined);
    expect(await redisLocks(away, prefix, log).hold('k', 'h', async () => 'ran')).toEqual({ ok: true, value: 'ran' });
    away.disconnect();
  });
});
