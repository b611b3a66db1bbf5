import type { ErrorBody, ErrorCode } from '../schemas/index.js';
import { isDuplicateKey } from '../store/bulk.js';
import { LockTimeout } from '../store/locks.js';

/** An expected failure of an op, answered to the caller as it is. */
export class OpError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly field?: string) {
    super(message);
  }

  toBody(): ErrorBody {
    return this.field ? { code: this.code, message: this.message, field: this.field } : { code: this.code, message: this.message };
  }
}

const UNAVAILABLE_ERRORS = new Set([
  'MongoNetworkError', 'MongoServerSelectionError', 'MongooseServerSelectionError',
  'MongoNotConnectedError', 'MongoTopologyClosedError', 'MongoNetworkTimeoutError',
]);

/** A dependency being down is the caller's cue to retry, not a bug. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (UNAVAILABLE_ERRORS.has(err.name) || UNAVAILABLE_ERRORS.has(err.constructor.name)) return true;
  return /ECONNREFUSED|ECONNRESET|connection .*closed|Connection is closed|UNAVAILABLE/i.test(err.message);
}

export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof OpError) return err.toBody();
  // A unique index said no: two writers raced for the same id.
  if (isDuplicateKey(err)) return { code: 'E_CONFLICT', message: 'already exists' };
  if (isUnavailable(err)) return { code: 'E_UNAVAILABLE', message: 'a dependency is unavailable; retry later' };
  if (err instanceof LockTimeout) return { code: 'E_UNAVAILABLE', message: err.message };
  return { code: 'E_INTERNAL', message: 'internal error' };
}
