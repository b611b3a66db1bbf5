import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { escapeRegex } from './text.js';

export type AgentRateDecision = { ok: true } | { ok: false; retryAfterMs: number };

export interface AgentRateLimiter {
  take(agentId: string): Promise<AgentRateDecision>;
}

/** Undefined when the caller may go ahead, else how many milliseconds to wait. */
export type RateTake = (key: string) => Promise<number | undefined>;

/**
 * `points` per key per `seconds`, counted in Redis so every process shares one budget per key. If
 * Redis is down each process keeps counting in memory rather than letting everything through.
 */
export function redisRateLimiter(redis: Redis, keyPrefix: string, points: number, seconds: number): RateTake {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points,
    duration: seconds,
    insuranceLimiter: new RateLimiterMemory({ points, duration: seconds }),
  });
  return async (key) => {
    try {
      await limiter.consume(key);
      return undefined;
    } catch (res) {
      if (res instanceof RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext));
      throw res;
    }
  };
}

/** Calls per agent per minute, one budget per agent across all worker processes. */
export function agentRateLimiter(redis: Redis, prefix: string, perMinute: number): AgentRateLimiter {
  const take = redisRateLimiter(redis, `${prefix}agent-rate`, perMinute, 60);
  return {
    async take(agentId) {
      const retryAfterMs = await take(agentId);
      return retryAfterMs === undefined ? { ok: true } : { ok: false, retryAfterMs };
    },
  };
}

export interface FilteredText {
  text: string;
  /** The listed words found, each once, as they are listed, in order of first appearance. */
  hits: string[];
}

/** What each character of a hit becomes: full-width, so Chinese and Latin text keep their look. */
export const MASK = '＊';

/**
 * Masks listed words in agent output before it is posted, whatever their case. Each word is its
 * own capture group, so a match tells which listed word it was. Longer words go first, so a word
 * that contains another (`密码`, `密码本`) is masked whole. A word made of the mask character
 * itself cannot be masked away; nobody lists one.
 */
export function sensitiveFilter(words: readonly string[]): (text: string) => FilteredText {
  const listed = [...new Set(words.filter((w) => w.length > 0))].sort((a, b) => codePoints(b) - codePoints(a));
  if (listed.length === 0) return (text) => ({ text, hits: [] });
  // `u`: case folding and masking work on code points, so astral characters stay whole.
  const pattern = new RegExp(listed.map((w) => `(${escapeRegex(w)})`).join('|'), 'giu');
  return (text) => {
    const hits = new Set<string>();
    const masked = text.replace(pattern, (match: string, ...groups: unknown[]) => {
      const word = listed[groups.findIndex((g) => g !== undefined)];
      if (word !== undefined) hits.add(word);
      return MASK.repeat(codePoints(match));
    });
    return { text: masked, hits: [...hits] };
  };
}

function codePoints(s: string): number {
  return [...s].length;
}
