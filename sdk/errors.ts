import type { ErrorBody } from '../schemas/index.js';

/**
 * A protocol error as a value: what the gateway answered, or what the SDK concluded itself
 * (`E_UNAVAILABLE` when no answer came, `E_AUTH` when the broker refused the token).
 */
export class MchatError extends Error {
  readonly code: ErrorBody['code'];
  readonly field: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'MchatError';
    this.code = body.code;
    this.field = body.field;
    this.retryAfterMs = body.retry_after_ms;
  }

  toBody(): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.retryAfterMs === undefined ? {} : { retry_after_ms: this.retryAfterMs }),
    };
  }
}

/** Worth sending again unchanged: the gateway was away or busy, or asked us to slow down. */
export function isRetryable(code: ErrorBody['code']): boolean {
  return code === 'E_UNAVAILABLE' || code === 'E_RATE_LIMITED';
}

export const unavailable = (message: string): ErrorBody => ({ code: 'E_UNAVAILABLE', message });
