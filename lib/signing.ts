import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAX_SIGNATURE_AGE_MS } from '../schemas/webhook.js';

/** `sha256=HMAC(secret, timestamp + "." + body)`, as the protocol's agent webhook fixes it. */
export function signBody(secret: string, timestamp: number | string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

export function verifySignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  now = Date.now(),
): SignatureCheck {
  const ts = Number(headers.timestamp);
  if (!headers.timestamp || !headers.signature || !Number.isFinite(ts)) return { ok: false, reason: 'missing' };
  if (Math.abs(now - ts) > MAX_SIGNATURE_AGE_MS) return { ok: false, reason: 'stale' };
  // The header exactly as sent is what was signed, not its numeric reading.
  const expected = Buffer.from(signBody(secret, headers.timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
