import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';

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

/** A change that could not get its turn in time: the caller may retry it. */
export class LockTimeout extends Error {
  constructor(readonly keys: readonly string[]) {
    super(`busy: ${keys.join(', ')} is being changed by someone else; retry`);
    this.name = 'LockTimeout';
  }
}

/**
 * Read-check-write sequences on documents that several requests or processes change: one at a
 * time per key, across every process. The local FerretDB applies each update as read-modify-write
 * without isolation (two at once lose one), and checks such as a group's size cap or a loop in the
 * reporting lines span documents on any database.
 */
export interface Serializer {
  /**
   * Runs `work` holding every key (taken in one order, so two callers never wait on each other),
   * waiting its turn. Reentrant: work that runs inside another's keys takes only the keys it lacks.
   */
  run<T>(keys: readonly string[], work: () => Promise<T>): Promise<T>;
}

export interface SerializerOptions {
  /** A holder that died frees its keys after this long; work must finish well within it. */
  ttlMs?: number;
  /** How long a caller waits for its turn before LockTimeout. */
  waitMs?: number;
}

/**
 * Keys in Redis (SET NX with a TTL and a token). Unlike Locks, there is no going ahead unguarded:
 * without Redis a change fails (unavailable) rather than risk losing another.
 */
export function redisSerializer(redis: Redis, prefix: string, log: Logger, { ttlMs = 15_000, waitMs = 5_000 }: SerializerOptions = {}): Serializer {
  const held = new AsyncLocalStorage<ReadonlySet<string>>();
  const release = (name: string, token: string) =>
    redis.eval(RELEASE, 1, name, token).catch((err: unknown) => log.debug({ err, name }, 'lock left to expire'));

  async function acquire(name: string, token: string, deadline: number): Promise<void> {
    for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
      if ((await redis.set(name, token, 'PX', ttlMs, 'NX')) === 'OK') return;
      if (Date.now() > deadline) throw new LockTimeout([name.slice(prefix.length + 5)]);
      await new Promise((r) => setTimeout(r, pause * (0.5 + Math.random())));
    }
  }

  return {
    async run(keys, work) {
      const mine = held.getStore() ?? new Set<string>();
      const wanted = [...new Set(keys)].filter((k) => !mine.has(k)).sort();
      if (wanted.length === 0) return work();
      const token = randomUUID();
      const deadline = Date.now() + waitMs;
      const taken: string[] = [];
      try {
        for (const key of wanted) {
          const name = `${prefix}lock:${key}`;
          await acquire(name, token, deadline);
          taken.push(name);
        }
        return await held.run(new Set([...mine, ...wanted]), work);
      } finally {
        await Promise.all(taken.map((name) => release(name, token)));
      }
    },
  };
}
