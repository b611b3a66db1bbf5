import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { escapeRegex } from './text.js';

export type AgentRateDecision = { ok: true } | { ok: false; retryAfterMs: number };

export interface AgentRateLimiter {
  take(agentId: string): Promise<AgentRateDecision>;
}

/**
 * Calls per agent per minute, counted in Redis so every worker process draws on one budget per
 * agent. If Redis is down each worker keeps counting in memory rather than letting every call
 * through to the agent's webhook.
 */
export function agentRateLimiter(redis: Redis, prefix: string, perMinute: number): AgentRateLimiter {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}agent-rate`,
    points: perMinute,
    duration: 60,
    insuranceLimiter: new RateLimiterMemory({ points: perMinute, duration: 60 }),
  });
  return {
    async take(agentId) {
      try {
        await limiter.consume(agentId);
        return { ok: true };
      } catch (res) {
        if (res instanceof RateLimiterRes) return { ok: false, retryAfterMs: Math.max(1, Math.ceil(res.msBeforeNext)) };
        throw res;
      }
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
