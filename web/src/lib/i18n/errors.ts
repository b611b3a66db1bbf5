import { ERROR_CODES, type ErrorCode } from '$schemas';
import * as m from '$lib/paraglide/messages';
import { locale } from './locale.svelte';

const BY_CODE: Record<ErrorCode, () => string> = {
  E_SCHEMA: m.error_E_SCHEMA,
  E_AUTH: m.error_E_AUTH,
  E_FORBIDDEN: m.error_E_FORBIDDEN,
  E_NOT_FOUND: m.error_E_NOT_FOUND,
  E_CONFLICT: m.error_E_CONFLICT,
  E_RATE_LIMITED: m.error_E_RATE_LIMITED,
  E_TOO_LARGE: m.error_E_TOO_LARGE,
  E_UNAVAILABLE: m.error_E_UNAVAILABLE,
  E_INTERNAL: m.error_E_INTERNAL,
};

function codeOf(err: unknown): ErrorCode | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return ERROR_CODES.find((c) => c === code);
}

function detailOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}

/**
 * What to tell the user about a failed request, in their language. The gateway writes its
 * messages in English, for the case at hand: English readers get them as they are, others the
 * message for the error's code (from schemas/envelope.ts), which any MchatError or error body has.
 */
export function errorText(err: unknown): string {
  const code = codeOf(err);
  const detail = detailOf(err);
  if (locale() === 'en' && detail) return detail;
  return code ? BY_CODE[code]() : m.error_unknown({ detail });
}
