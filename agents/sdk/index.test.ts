import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../lib/signing.js';
import { MAX_SIGNATURE_AGE_MS, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../schemas/webhook.js';
import { type AgentRequest, createAgentServer, verifyAgentRequest } from './index.js';

const secret = 'demo-agent-secret-0123456789';
const msg = {
  msg_id: 'm1', conversation_id: 'd:a_sales:u_li', seq: 1, from: 'u_li', ts: 1, kind: 'text', body: { text: 'hi' }, client_msg_id: 'c1',
};
const request = {
  interaction_id: 'interaction:m1:a_sales', agent_id: 'a_sales', message: msg,
  context: { last_messages: [], asker: { id: 'u_li', name: 'Li Lei', title: '', department: null, manager: null } },
};
const body = JSON.stringify(request);
const signed = (b: string, ts = Date.now(), key = secret) => ({
  [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signBody(key, ts, b),
});

describe('verifyAgentRequest', () => {
  it('accepts a signed, well-formed request and returns it parsed', () => {
    const v = verifyAgentRequest(secret, signed(body), body);
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.request.agent_id).toBe('a_sales');
      expect(v.request.message.body.mentions).toEqual([]);
    }
  });
  it('takes the first value of a repeated header', () => {
    const h = signed(body);
    expect(verifyAgentRequest(secret, { ...h, [SIGNATURE_HEADER]: [h[SIGNATURE_HEADER]!, 'sha256=00'] }, body).ok).toBe(true);
  });
  it.each([
    ['a bad signature', { ...signed(body), [SIGNATURE_HEADER]: 'sha256=' + '0'.repeat(64) }],
    ['another secret', signed(body, Date.now(), 'wrong-secret')],
    ['a stale timestamp', signed(body, Date.now() - MAX_SIGNATURE_AGE_MS - 60_000)],
    ['a future timestamp', signed(body, Date.now() + MAX_SIGNATURE_AGE_MS + 60_000)],
    ['no headers', {}],
    ['no signature', { [TIMESTAMP_HEADER]: String(Date.now()) }],
  ])('401 for %s', (_, headers) => {
    const v = verifyAgentRequest(secret, headers, body);
    expect(v).toMatchObject({ ok: false, status: 401 });
  });
  it('401 when the body was changed after signing', () => {
    expect(verifyAgentRequest(secret, signed(body), body.replace('hi', 'ho'))).toMatchObject({ ok: false, status: 401 });
  });
  it('400 for a signed body that is not JSON', () => {
    const b = '{not json';
    expect(verifyAgentRequest(secret, signed(b), b)).toMatchObject({ ok: false, status: 400 });
  });
  it.each([
    ['an empty object', {}],
    ['a bad agent id', { ...request, agent_id: 'a/b' }],
    ['a message without content', { ...request, message: { ...msg, body: {} } }],
    ['an array', [request]],
  ])('400 for a signed body of the wrong shape: %s', (_, value) => {
    const b = JSON.stringify(value);
    const v = verifyAgentRequest(secret, signed(b), b);
    expect(v).toMatchObject({ ok: false, status: 400 });
    if (!v.ok) expect(v.error.length).toBeGreaterThan(0);
  });
  it('checks the signature before the shape: an unsigned bad body is 401', () => {
    expect(verifyAgentRequest(secret, {}, '{not json')).toMatchObject({ ok: false, status: 401 });
  });
});

describe('createAgentServer', () => {
  const errors: unknown[] = [];
  const seen: AgentRequest[] = [];
  const server = createAgentServer({
    secret,
    onError: (err) => errors.push(err),
    agents: {
      '/echo': (req) => {
        seen.push(req);
        return { text: `echo ${req.message.body.text}` };
      },
      '/async': async () => ({ card: { title: 'Card', fields: [], actions: [] } }),
      '/rejects': async () => {
        throw new Error('agent bug');
      },
      '/throws': () => {
        throw new Error('sync agent bug');
      },
      '/invalid': () => ({}) as never,
    },
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  // A guard, not a wait: answers come in milliseconds; a missing answer fails instead of hanging the run.
  const post = (path: string, b = body, headers: Record<string, string> = signed(b)) =>
    fetch(base + path, { method: 'POST', body: b, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(1_000) });

  it('answers 200 with the handler\'s reply', async () => {
    const res = await post('/echo');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({ text: 'echo hi' });
    expect(seen.at(-1)?.interaction_id).toBe(request.interaction_id);
  });
  it('awaits an async handler', async () => {
    const res = await post('/async');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ card: { title: 'Card', fields: [], actions: [] } });
  });
  it('404 for an unknown path, and for GET on a known one', async () => {
    expect((await post('/nope')).status).toBe(404);
    const get = await fetch(base + '/echo', { signal: AbortSignal.timeout(1_000) });
    expect(get.status).toBe(404);
  });
  it('401 for an unsigned or badly signed request, without calling the handler', async () => {
    const before = seen.length;
    expect((await post('/echo', body, {})).status).toBe(401);
    expect((await post('/echo', body, signed(body, Date.now(), 'wrong'))).status).toBe(401);
    expect((await post('/echo', body, signed(body, Date.now() - MAX_SIGNATURE_AGE_MS - 1_000))).status).toBe(401);
    expect(seen.length).toBe(before);
  });
  it('400 for a signed request of the wrong shape', async () => {
    expect((await post('/echo', '{"x":1}')).status).toBe(400);
    expect((await post('/echo', 'nope')).status).toBe(400);
  });
  it('500 when the handler rejects, and reports the error', async () => {
    const before = errors.length;
    const res = await post('/rejects');
    expect(res.status).toBe(500);
    expect(errors.length).toBe(before + 1);
    expect((errors.at(-1) as Error).message).toBe('agent bug');
  });
  it('500 when a synchronous handler throws (it must not escape as an uncaught exception)', async () => {
    const res = await post('/throws');
    expect(res.status).toBe(500);
  });
  it('an error status when the handler returns an invalid reply (it must not leave the request hanging)', async () => {
    const res = await post('/invalid');
    expect(res.status).toBeGreaterThanOrEqual(500);
  });
});
