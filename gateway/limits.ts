import type { Redis } from 'ioredis';
import { redisRateLimiter } from '../lib/guards.js';

export interface SenderLimiter {
  /** Undefined when the request may go ahead, else how long to wait. */
  take(employeeId: string): Promise<number | undefined>;
}

/** Requests per employee per second, one budget across all gateways (see redisRateLimiter). */
export function senderLimiter(redis: Redis, keyPrefix: string, perSecond: number): SenderLimiter {
  return { take: redisRateLimiter(redis, `${keyPrefix}rate`, perSecond, 1) };
}
