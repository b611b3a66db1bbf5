import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface SenderLimiter {
  /** Undefined when the request may go ahead, else how long to wait. */
  take(employeeId: string): Promise<number | undefined>;
}

/**
 * Requests per employee per second, counted in Redis so every gateway shares the budget. If Redis
 * is down, each gateway keeps counting in memory rather than letting everything through.
 */
export function senderLimiter(redis: Redis, keyPrefix: string, perSecond: number): SenderLimiter {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${keyPrefix}rate`,
    points: perSecond,
    duration: 1,
    insuranceLimiter: new RateLimiterMemory({ points: perSecond, duration: 1 }),
  });
  return {
    async take(employeeId) {
      try {
        await limiter.consume(employeeId);
        return undefined;
      } catch (res) {
        if (res instanceof RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext));
        throw res;
      }
    },
  };
}
