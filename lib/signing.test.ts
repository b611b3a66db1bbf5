import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_SIGNATURE_AGE_MS } from '../schemas/webhook.js';
import { signBody, verifySignature } from './signing.js';

const secret = 'agent-secret-0123456789';
const body = JSON.stringify({ interaction_id: 'i1', text: '查订单 SO-1001' });
const now = 1_764_000_000_000;
const headers = (ts: number, sig = signBody(secret, ts, body)) => ({ timestamp: String(ts), signature: sig });

describe('signBody', () => {
  it('is sha256=HMAC(secret, timestamp + "." + body) in hex, as the protocol fixes it', () => {
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(signBody(secret, now, body)).toBe(`sha256=${expected}`);
    expect(signBody(secret, now, body)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });
  it('changes with secret, timestamp and body', () => {
    const base = signBody(secret, now, body);
    expect(signBody(secret + 'x', now, body)).not.toBe(base);
    expect(signBody(secret, now + 1, body)).not.toBe(base);
    expect(signBody(secret, now, body + ' ')).not.toBe(base);
  });
});

describe('verifySignature', () => {
  it('accepts what signBody signed', () => {
    expect(verifySignature(secret, headers(now), body, now)).toEqual({ ok: true });
  });
  it('uses the current clock by default', () => {
    const ts = Date.now();
    expect(verifySignature(secret, headers(ts), body)).toEqual({ ok: true });
  });
  it('refuses a tampered body', () => {
    expect(verifySignature(secret, headers(now), body.replace('1001', '1002'), now)).toEqual({ ok: false, reason: 'mismatch' });
  });
  it('refuses a signature made with another secret', () => {
    expect(verifySignature(secret, headers(now, signBody('other-secret', now, body)), body, now)).toEqual({ ok: false, reason: 'mismatch' });
  });
  it('refuses a signature over another timestamp', () => {
    expect(verifySignature(secret, headers(now, signBody(secret, now - 1, body)), body, now)).toEqual({ ok: false, reason: 'mismatch' });
  });
  it.each(['sha256=', 'sha256=00', signBody(secret, now, body).toUpperCase(), signBody(secret, now, body).slice(7), 'garbage'])(
    'refuses a malformed signature %j',
    (sig) => expect(verifySignature(secret, headers(now, sig), body, now)).toEqual({ ok: false, reason: 'mismatch' }),
  );
  it('accepts a timestamp exactly 5 minutes away, in both directions', () => {
    for (const ts of [now - MAX_SIGNATURE_AGE_MS, now + MAX_SIGNATURE_AGE_MS]) {
      expect(verifySignature(secret, headers(ts), body, now)).toEqual({ ok: true });
    }
  });
  it('refuses a timestamp more than 5 minutes old or ahead, even correctly signed', () => {
    for (const ts of [now - MAX_SIGNATURE_AGE_MS - 1, now + MAX_SIGNATURE_AGE_MS + 1, now - 3_600_000, 0]) {
      expect(verifySignature(secret, headers(ts), body, now)).toEqual({ ok: false, reason: 'stale' });
    }
  });
  it.each([
    [{ timestamp: undefined, signature: signBody(secret, now, body) }],
    [{ timestamp: String(now), signature: undefined }],
    [{ timestamp: undefined, signature: undefined }],
    [{ timestamp: '', signature: signBody(secret, now, body) }],
    [{ timestamp: String(now), signature: '' }],
    [{ timestamp: 'yesterday', signature: signBody(secret, now, body) }],
  ])('reports missing headers: %j', (h) => {
    expect(verifySignature(secret, h, body, now)).toEqual({ ok: false, reason: 'missing' });
  });
});
