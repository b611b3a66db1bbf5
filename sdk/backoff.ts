/** How long to wait before the next try: exponential growth up to a cap, with full jitter. */
export interface BackoffOptions {
  /** The cap of the first wait. */
  initialMs: number;
  /** No wait is longer than this. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

/**
 * The wait before try `attempt + 1` (0 for the first retry): a uniformly random time up to
 * `initialMs · 2^attempt`, capped at `maxMs`. The randomness spreads the reconnects of many clients
 * that lost the same gateway at the same moment ("full jitter"), so they do not return in step.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}
