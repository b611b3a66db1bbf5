import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signBody, verifySignature } from '../../lib/signing.js';
import { MAX_SIGNATURE_AGE_MS, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../schemas/webhook.js';
import { freePort } from '../../scripts/servers/servers.js';
import {
  type AgentReply, type AgentRequest, answerLater, CALLBACK_PATH, CallbackError, createAgentServer, postCallback, verifyAgentRequest,
} from './index.js';

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
      '/quiet': (req) => (req.event ? null : { text: 'a question gets an answer' }),
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
  it('passes on the event of a follow-up, and answers 204 when the handler has nothing to say', async () => {
    const event = {
      type: 'approval_decided', task_id: 't-1', summary: 'refund 5000', decision: 'reject', comment: 'too much',
      approver: { id: 'u_wang', name: 'Wang Fang' }, decided_at: 2,
    };
    const followUp = JSON.stringify({ ...request, interaction_id: `${request.interaction_id}#1`, event });
    expect((await post('/echo', followUp)).status).toBe(200);
    expect(seen.at(-1)?.event).toEqual(event);
    const quiet = await post('/quiet', followUp);
    expect(quiet.status).toBe(204);
    expect(await quiet.text()).toBe('');
    expect(await (await post('/quiet')).json()).toEqual({ text: 'a question gets an answer' });
    // An event MChat does not send is a request of the wrong shape.
    const unknown = JSON.stringify({ ...request, event: { ...event, type: 'something_else' } });
    expect((await post('/echo', unknown)).status).toBe(400);
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

/**
 * A local HTTP server standing in for MChat's callback endpoint: it records what arrives (raw
 * body and headers) and answers with the statuses a test queues, then 200.
 */
class FakeMchat {
  readonly received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  /** Statuses to answer with, in order; `'drop'` closes the connection without an answer. */
  script: (number | 'drop')[] = [];
  private waiters: (() => void)[] = [];
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const next = this.script.shift() ?? 200;
      if (next === 'drop') req.socket.destroy();
      else res.writeHead(next, { 'content-type': 'application/json' }).end(next === 200 ? '{"accepted":true}' : '{"error":{"code":"E"}}');
      this.waiters.splice(0).forEach((w) => w());
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
  /** Resolves once `n` callbacks have arrived in all; fails the test instead of hanging it. */
  async arrived(n: number, withinMs = 3_000): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (this.received.length < n) {
      if (Date.now() > deadline) throw new Error(`${this.received.length} of ${n} callbacks arrived`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
}

const fastRetry = { attempts: 4, initialDelayMs: 10, maxDelayMs: 40, attemptTimeoutMs: 1_000 };
const callback = { interaction_id: 'interaction:m1:a_research#0', agent_id: 'a_research', reply: { text: 'brief' } };

describe('postCallback', () => {
  let mchat: FakeMchat;
  beforeEach(async () => {
    mchat = await new FakeMchat().start();
  });
  afterEach(() => mchat.stop());

  it('POSTs the callback to /api/agents/callback, signed with the agent secret as webhooks are', async () => {
    await postCallback({ mchatUrl: mchat.url + '/', secret, retry: fastRetry }, callback);
    expect(mchat.received).toHaveLength(1);
    const [got] = mchat.received;
    expect(got!.path).toBe(CALLBACK_PATH);
    expect(got!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got!.body)).toEqual({ ...callback, reply: { text: 'brief' } });
    const headers = { timestamp: got!.headers[TIMESTAMP_HEADER] as string, signature: got!.headers[SIGNATURE_HEADER] as string };
    expect(Math.abs(Number(headers.timestamp) - Date.now())).toBeLessThan(5_000);
    expect(headers.signature).toBe(signBody(secret, headers.timestamp, got!.body));
    expect(verifySignature(secret, headers, got!.body)).toEqual({ ok: true });
  });
  it('retries 5xx with growing delays, signing each attempt afresh, until MChat takes it', async () => {
    mchat.script = [503, 500];
    await postCallback({ mchatUrl: mchat.url, secret, retry: fastRetry }, callback);
    expect(mchat.received).toHaveLength(3);
    for (const r of mchat.received) {
      expect(verifySignature(secret, { timestamp: r.headers[TIMESTAMP_HEADER] as string, signature: r.headers[SIGNATURE_HEADER] as string }, r.body).ok).toBe(true);
    }
  });
  it('retries a dropped connection', async () => {
    mchat.script = ['drop'];
    await postCallback({ mchatUrl: mchat.url, secret, retry: fastRetry }, callback);
    expect(mchat.received).toHaveLength(2);
  });
  it('does not retry a 4xx: throws a CallbackError with the status after one attempt', async () => {
    mchat.script = [404];
    const err = await postCallback({ mchatUrl: mchat.url, secret, retry: fastRetry }, callback).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallbackError);
    expect(err).toMatchObject({ status: 404, attempts: 1, interaction_id: callback.interaction_id });
    expect(mchat.received).toHaveLength(1);
  });
  it('gives up after the configured attempts of 5xx', async () => {
    mchat.script = [503, 503, 503, 503, 503];
    const err = await postCallback({ mchatUrl: mchat.url, secret, retry: fastRetry }, callback).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CallbackError', status: 503, attempts: 4 });
    expect(mchat.received).toHaveLength(4);
  });
  it('gives up on an unreachable MChat with a CallbackError without a status', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const err = await postCallback({ mchatUrl: unreachable, secret, retry: { ...fastRetry, attempts: 2 } }, callback).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallbackError);
    expect(err).toMatchObject({ attempts: 2, status: undefined });
    expect((err as Error).message).toContain('unreachable');
  });
  it('refuses to send a reply that MChat would refuse anyway', async () => {
    await expect(postCallback({ mchatUrl: mchat.url, secret }, { ...callback, reply: {} })).rejects.toThrow();
    expect(mchat.received).toHaveLength(0);
  });
});

describe('createAgentServer: answering later', () => {
  let mchat: FakeMchat;
  let agentServer: Server;
  let base = '';
  const errors: unknown[] = [];
  const researchSecret = 'research-secret-0123456789';
  let release: () => void = () => undefined;
  let laterReply: () => AgentReply = () => ({ text: 'the brief' });

  beforeEach(async () => {
    errors.length = 0;
    laterReply = () => ({ text: 'the brief' });
    mchat = await new FakeMchat().start();
    agentServer = createAgentServer({
      mchatUrl: mchat.url,
      callbackRetry: fastRetry,
      maxBodyBytes: 4_096,
      onError: (err) => errors.push(err),
      agents: {
        '/research': {
          secret: researchSecret,
          handle: () => answerLater(async () => {
            await new Promise<void>((resolve) => (release = resolve));
            return laterReply();
          }),
        },
        '/sales': { secret, handle: (req) => ({ text: `hi ${req.context.asker.name}` }) },
      },
    });
    await new Promise<void>((resolve) => agentServer.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(agentServer.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    release();
    agentServer.closeAllConnections();
    await new Promise((resolve) => agentServer.close(resolve));
    await mchat.stop();
  });

  const research = { ...request, interaction_id: 'interaction:m1:a_research#0', agent_id: 'a_research' };
  const post = (path: string, b: string, headers: Record<string, string>) =>
    fetch(base + path, { method: 'POST', body: b, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(1_000) });
  const ask = (path = '/research', key = researchSecret, value: unknown = research) => {
    const b = JSON.stringify(value);
    return post(path, b, signed(b, Date.now(), key));
  };
  const until = async (done: () => boolean) => {
    for (const deadline = Date.now() + 2_000; !done(); await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > deadline) throw new Error('timed out');
    }
  };

  it('answers 202 at once, then posts the reply signed with that agent\'s secret', async () => {
    const res = await ask();
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true });
    // The work has not finished yet: nothing has been posted before the 202.
    expect(mchat.received).toHaveLength(0);
    release();
    await mchat.arrived(1);
    const [got] = mchat.received;
    expect(got!.path).toBe(CALLBACK_PATH);
    expect(JSON.parse(got!.body)).toEqual({ interaction_id: research.interaction_id, agent_id: 'a_research', reply: { text: 'the brief' } });
    const headers = { timestamp: got!.headers[TIMESTAMP_HEADER] as string, signature: got!.headers[SIGNATURE_HEADER] as string };
    expect(verifySignature(researchSecret, headers, got!.body)).toEqual({ ok: true });
    expect(verifySignature(secret, headers, got!.body).ok).toBe(false);
    expect(errors).toEqual([]);
  });
  it('retries the callback through a 503 and reports nothing', async () => {
    mchat.script = [503];
    expect((await ask()).status).toBe(202);
    release();
    await mchat.arrived(2);
    expect(errors).toEqual([]);
  });
  it('reports a refused callback (4xx) through onError, once, without retrying', async () => {
    mchat.script = [401];
    expect((await ask()).status).toBe(202);
    release();
    await until(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(CallbackError);
    expect(errors[0]).toMatchObject({ status: 401, interaction_id: research.interaction_id });
    expect(mchat.received).toHaveLength(1);
  });
  it('reports work that fails or answers out of shape, and posts nothing', async () => {
    laterReply = () => {
      throw new Error('research failed');
    };
    expect((await ask()).status).toBe(202);
    release();
    await until(() => errors.length > 0);
    expect((errors[0] as Error).message).toBe('research failed');

    laterReply = () => ({}) as never;
    expect((await ask()).status).toBe(202);
    release();
    await until(() => errors.length > 1);
    expect(mchat.received).toHaveLength(0);
  });
  it('500 when an agent answers later but the server has no mchatUrl', async () => {
    const lone = createAgentServer({ secret, onError: (err) => errors.push(err), agents: { '/later': () => answerLater(() => ({ text: 'x' })) } });
    await new Promise<void>((resolve) => lone.listen(0, '127.0.0.1', resolve));
    try {
      const b = JSON.stringify(request);
      const res = await fetch(`http://127.0.0.1:${(lone.address() as AddressInfo).port}/later`, {
        method: 'POST', body: b, headers: signed(b), signal: AbortSignal.timeout(1_000),
      });
      expect(res.status).toBe(500);
      expect((errors[0] as Error).message).toContain('mchatUrl');
    } finally {
      lone.closeAllConnections();
      await new Promise((resolve) => lone.close(resolve));
    }
  });
  it('checks each agent against its own secret: another agent\'s signature is 401', async () => {
    expect((await ask('/sales', researchSecret)).status).toBe(401);
    expect((await ask('/research', secret)).status).toBe(401);
    const ok = await ask('/sales', secret);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ text: 'hi Li Lei' });
  });
  it('413 for a body over the limit, with or without a content-length, before checking anything', async () => {
    const big = JSON.stringify({ ...research, padding: 'x'.repeat(5_000) });
    const res = await post('/research', big, signed(big, Date.now(), researchSecret));
    expect(res.status).toBe(413);
    const chunked = await fetch(base + '/research', {
      method: 'POST',
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(big));
          c.close();
        },
      }),
      duplex: 'half',
      headers: signed(big, Date.now(), researchSecret),
      signal: AbortSignal.timeout(1_000),
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(mchat.received).toHaveLength(0);
  });
});
