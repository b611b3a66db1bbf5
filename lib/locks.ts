import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/** Deletes the key only if this holder still has it: one that outlived its TTL must not free another's. */
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export type Held<T> = { ok: true; value: T } | { ok: false };

/** Short critical sections across processes (check-then-write sequences the database cannot guard). */
export interface Locks {
  /** Runs `work` holding `key`; `{ ok: false }`, without running it, while someone else holds it. */
  hold<T>(key: string, holder: string, work: () => Promise<T>): Promise<Held<T>>;
}

/**
 * A lock per key in Redis (SET NX with a TTL, so a holder that dies frees it). Without Redis the
 * work goes ahead unguarded: the race it closes is narrow, and stopping the work would be worse.
 */
export function redisLocks(redis: Redis, prefix: string, log: Logger, ttlMs = 10_000): Locks {
  return {
    async hold(key, holder, work) {
      const name = `${prefix}lock:${key}`;
      let acquired: boolean;
      try {
        acquired = (await redis.set(name, holder, 'PX', ttlMs, 'NX')) === 'OK';
      } catch (err) {
        log.warn({ err, key }, 'lock unavailable; going ahead without it');
        return { ok: true, value: await work() };
      }
      if (!acquired) return { ok: false };
      try {
        return { ok: true, value: await work() };
      } finally {
        await redis.eval(RELEASE, 1, name, holder).catch((err: unknown) => log.debug({ err, key }, 'lock left to expire'));
      }
    },
  };
}
