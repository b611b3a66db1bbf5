import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LockTimeout, redisLocks, redisSerializer } from './locks.js';
import { createLogger } from '../lib/logger.js';

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

/** Against the run's real Redis: two serializers stand for two processes. */
describe('redisSerializer', () => {
  let redis: Redis;
  const prefix = `serializer-test-${Date.now()}:`;
  beforeAll(() => {
    redis = new Redis(inject('services').redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it('runs read-then-write sequences on one key one at a time across processes, losing none', async () => {
    const [one, two] = [redisSerializer(redis, prefix, log), redisSerializer(redis, prefix, log)];
    const counter = `${prefix}counter`;
    await redis.set(counter, '0');
    const bump = async () => {
      const n = Number(await redis.get(counter));
      await new Promise((r) => setTimeout(r, 1));
      await redis.set(counter, String(n + 1));
    };
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).run(['doc'], bump)));
    expect(await redis.get(counter)).toBe('40');
  });

  it('is reentrant, takes several keys in one order, and frees them after a failure', async () => {
    const s = redisSerializer(redis, prefix, log);
    const inner = await s.run(['group:a', 'org'], () => s.run(['org', 'group:b'], async () => 'nested'));
    expect(inner).toBe('nested');
    await expect(s.run(['group:a'], async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await redis.exists(`${prefix}lock:group:a`, `${prefix}lock:group:b`, `${prefix}lock:org`)).toBe(0);
    // Opposite orders at once do not wait on each other for ever.
    const both = await Promise.all([s.run(['x', 'y'], async () => 1), s.run(['y', 'x'], async () => 2)]);
    expect(both).toEqual([1, 2]);
  });

  it('gives up with LockTimeout when the key stays taken', async () => {
    const s = redisSerializer(redis, prefix, log, { waitMs: 100 });
    let release!: () => void;
    const holder = s.run(['busy'], () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    await expect(s.run(['busy'], async () => 'never')).rejects.toBeInstanceOf(LockTimeout);
    release();
    await holder;
    expect(await s.run(['busy'], async () => 'now')).toBe('now');
  });
});
