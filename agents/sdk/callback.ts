import { AgentCallback, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../schemas/index.js';
import { signBody } from '../../lib/signing.js';

/** Where MChat takes asynchronous answers, relative to its base URL. */
export const CALLBACK_PATH = '/api/agents/callback';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Bounds each attempt, so a hung connection counts as a failed attempt. */
  attemptTimeoutMs: number;
}

/** About 20 s of trying in all: long enough to ride out a gateway restart. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 7, initialDelayMs: 250, maxDelayMs: 8_000, attemptTimeoutMs: 10_000 };

export interface CallbackTarget {
  /** MChat's base URL, e.g. `http://127.0.0.1:8080`. */
  mchatUrl: string;
  /** The answering agent's API secret. */
  secret: string;
  retry?: Partial<RetryPolicy>;
}

/** A callback MChat did not take: `status` is its answer, absent when it could not be reached. */
export class CallbackError extends Error {
  constructor(
    message: string,
    readonly interaction_id: string,
    readonly attempts: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CallbackError';
  }
}

type Attempt = { ok: true } | { ok: false; retryable: boolean; status?: number; error: string };

/**
 * POSTs an agent's asynchronous answer to MChat, signed as webhooks are. Network errors and 5xx
 * are retried with exponential backoff; a 4xx is final (MChat refused this answer, and sending
 * it again will not change that). Throws a CallbackError when MChat did not take it.
 */
export async function postCallback(target: CallbackTarget, callback: AgentCallback): Promise<void> {
  const body = JSON.stringify(AgentCallback.parse(callback));
  // Appended, not resolved: MChat may sit under a path prefix behind a proxy.
  const url = target.mchatUrl.replace(/\/+$/, '') + CALLBACK_PATH;
  const retry = { ...DEFAULT_RETRY, ...target.retry };
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(url, target.secret, body, retry.attemptTimeoutMs);
    if (outcome.ok) return;
    if (!outcome.retryable || attempt >= retry.attempts) {
      throw new CallbackError(`${outcome.error} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`, callback.interaction_id, attempt, outcome.status);
    }
    await new Promise((r) => setTimeout(r, backoffMs(retry, attempt)));
  }
}

async function attemptOnce(url: string, secret: string, body: string, timeoutMs: number): Promise<Attempt> {
  // Signed afresh each time: a retry late in the backoff must not carry a stale timestamp.
  const ts = Date.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signBody(secret, ts, body) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const answer = await res.text();
    if (res.ok) return { ok: true };
    return { ok: false, retryable: res.status >= 500, status: res.status, error: `MChat answered ${res.status}: ${answer.slice(0, 200)}` };
  } catch (err) {
    return { ok: false, retryable: true, error: `MChat unreachable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function backoffMs(retry: RetryPolicy, failedAttempts: number): number {
  return Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (failedAttempts - 1));
}
