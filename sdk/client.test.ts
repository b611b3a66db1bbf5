import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { topics, type Message, type RequestEnvelope, type ResponseEnvelope } from '../schemas/index.js';
import { MchatClient, type MchatClientOptions } from './client.js';
import type { ConnectionState } from './connection.js';
import { MchatError } from './errors.js';

// The client against a real MQTT broker (aedes) with a stand-in for the gateway that answers as
// each test says: the cases a real gateway cannot be made to produce on demand (errors,
// silence, rate limits). test/sdk.test.ts runs the client against the real stack.

const TOKEN = 'token-of-u_li';

let broker: Aedes;
let server: Server;
let url: string;
let gateway: MqttClient;
const connections = new Map<string, Client>();
/** What the stand-in gateway received, and how it answers (undefined: stays silent). */
const received: { topic: string; envelope: RequestEnvelope }[] = [];
let answer: (req: RequestEnvelope) => Omit<ResponseEnvelope, 'v' | 'seq_id'> | undefined;
const answerAll = (result: (req: RequestEnvelope) => unknown) => (req: RequestEnvelope) =>
  ({ ok: true as const, result: req.op === 'conv.list' ? { conversations: [] } : result(req) });

beforeAll(async () => {
  broker = await Aedes.createBroker();
  broker.authenticate = (_client, username, password, done) => {
    const ok = username === 'u_li' && password?.toString() === TOKEN;
    done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
  };
  broker.authorizeSubscribe = (_client, sub, done) => done(null, sub.topic === 'mchat/group/secret' ? null : sub);
  broker.on('client', (client) => connections.set(client.id, client));
  server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;

  gateway = await mqtt.connectAsync(url, { username: 'u_li', password: TOKEN, clientId: 'gateway:test' });
  await gateway.subscribeAsync('mchat/msg/req/+', { qos: 1 });
  gateway.on('message', (topic, payload) => {
    const envelope = JSON.parse(payload.toString()) as RequestEnvelope;
    received.push({ topic, envelope });
    const reply = answer(envelope);
    if (reply) {
      const response = { v: 1, seq_id: envelope.seq_id, ...reply };
      void gateway.publishAsync(topics.resp(envelope.client_id, envelope.seq_id), JSON.stringify(response), { qos: 1 });
    }
  });
});

afterAll(async () => {
  await gateway.endAsync();
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const clients: MchatClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  received.length = 0;
});

let devices = 0;
function connect(opts: Partial<MchatClientOptions> = {}) {
  const client = new MchatClient({ url, employeeId: 'u_li', token: TOKEN, device: `web-${++devices}`, reconnect: { initialMs: 50, maxMs: 200 }, ...opts });
  clients.push(client);
  return client;
}
const sent = (op: string) => received.filter((r) => r.envelope.op === op);

describe('MchatClient.request', () => {
  it('publishes a protocol envelope and resolves with the result', async () => {
    answer = answerAll((req) => ({ employees: [{ id: 'a_sales', q: req.payload.q }] }));
    const client = connect({ device: 'web-3f2a' });
    const result = await client.request('employee.search', { q: 'sales' });

    expect(result).toEqual({ employees: [{ id: 'a_sales', q: 'sales' }] });
    expect(client.clientId).toBe('u_li:web-3f2a');
    const [req] = sent('employee.search');
    expect(req?.topic).toBe(`mchat/msg/req/${req?.envelope.seq_id}`);
    expect(req?.envelope).toMatchObject({ v: 1, client_id: 'u_li:web-3f2a', op: 'employee.search', payload: { q: 'sales' } });
    expect(req?.envelope.seq_id).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
    expect(req?.envelope.ts).toBeTypeOf('number');
  });

  it('refuses a device that would make an invalid client id', () => {
    expect(() => connect({ device: 'web/1' })).toThrow(/not a client id/);
    expect(() => connect({ device: 'a:b' })).toThrow(/not a client id/);
  });

  it('matches concurrent answers to their requests by seq_id', async () => {
    answer = answerAll((req) => ({ echo: req.payload.q }));
    const client = connect();
    const results = await Promise.all(['a', 'b', 'c'].map((q) => client.request('employee.search', { q })));

    expect(results).toEqual([{ echo: 'a' }, { echo: 'b' }, { echo: 'c' }]);
    expect(new Set(sent('employee.search').map((r) => r.envelope.seq_id)).size).toBe(3);
  });

  it('rejects with the protocol error the gateway sent', async () => {
    answer = (req) => (req.op === 'conv.list' ? { ok: true, result: { conversations: [] } } : { ok: false, error: { code: 'E_NOT_FOUND', message: 'no employee "u_x"', field: 'payload.id' } });
    const err = await connect().request('employee.get', { id: 'u_x' }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(MchatError);
    expect(err).toMatchObject({ code: 'E_NOT_FOUND', message: 'no employee "u_x"', field: 'payload.id' });
    expect(sent('employee.get')).toHaveLength(1);
  });

  it('gives up after the timeout and ignores a late answer', async () => {
    answer = () => undefined;
    const client = connect({ timeoutMs: 300 });
    const err = await client.request('task.list', {}, { retry: false }).catch((e: unknown) => e);

    expect(err).toMatchObject({ name: 'MchatError', code: 'E_UNAVAILABLE', message: 'No answer to task.list within 0.3 s.' });
    const late = { v: 1, seq_id: sent('task.list')[0]!.envelope.seq_id, ok: true, result: {} };
    await gateway.publishAsync(topics.resp(client.clientId, late.seq_id), JSON.stringify(late), { qos: 1 });

    answer = answerAll(() => ({ tasks: [] }));
    await expect(client.request('task.list', {})).resolves.toEqual({ tasks: [] });
  });
});

describe('MchatClient events and connection', () => {
  it('delivers valid events from the inbox and watched groups, messages once, and skips the rest', async () => {
    const messages: Message[] = [];
    const notices: unknown[] = [];
    const client = connect();
    client.on('message', (m) => messages.push(m));
    client.on('inbox', (e) => notices.push(e));
    answer = answerAll(() => ({}));
    await new Promise((resolve) => client.once('synced', () => resolve(undefined)));
    await client.watchGroups(['ops']);

    const msg = message(1, 'g:ops');
    await gateway.publishAsync(topics.inbox('u_li'), 'not json', { qos: 1 });
    await gateway.publishAsync(topics.inbox('u_li'), JSON.stringify({ v: 1, type: 'message', msg: { seq: 'x' } }), { qos: 1 });
    await gateway.publishAsync(topics.group('ops'), JSON.stringify({ v: 1, type: 'message', msg }), { qos: 1 });
    await gateway.publishAsync(topics.group('ops'), JSON.stringify({ v: 1, type: 'message', msg }), { qos: 1 });
    const workflow = { v: 1, type: 'workflow', workflow_id: 'wf-1', conversation_id: 'g:ops', status: 'running', step: 'ask sales' };
    await gateway.publishAsync(topics.inbox('u_li'), JSON.stringify(workflow), { qos: 1 });

    await vi.waitFor(() => expect(notices).toEqual([workflow]));
    expect(messages).toEqual([msg]);
  });

  it('rejects watching a group the broker refuses', async () => {
    answer = answerAll(() => ({}));
    const client = connect();
    const errors: MchatError[] = [];
    client.on('error', (e) => errors.push(e));
    await client.requests.request('task.list', {});
    const refusal = await client.watchGroups(['ops', 'secret']);
    expect(refusal).toMatchObject({ code: 'E_FORBIDDEN', message: 'The broker refused mchat/group/secret.' });
    expect(errors).toEqual([refusal]);
  });

  it('reports the connection going online, and a refused token without retrying', async () => {
    answer = answerAll(() => ({}));
    const good: ConnectionState[] = [];
    connect().on('state', (s) => good.push(s));
    await vi.waitFor(() => expect(good).toEqual(['online']));

    const bad: ConnectionState[] = [];
    const refused = connect({ token: 'expired' });
    refused.on('state', (s) => bad.push(s));
    const err = await refused.request('conv.list', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'MchatError', code: 'E_AUTH' });
    await new Promise((resolve) => setTimeout(resolve, 500)); // longer than the reconnect back-off
    expect(bad).toEqual(['refused']);
  });

  it('after a dropped connection, renews its subscriptions before sending again', async () => {
    const states: ConnectionState[] = [];
    const messages: Message[] = [];
    answer = answerAll(() => ({ tasks: [] }));
    const client = connect();
    client.on('state', (s) => states.push(s));
    client.on('message', (m) => messages.push(m));
    await client.request('task.list', {});
    await client.watchGroups(['ops']);

    connections.get(client.clientId)?.close();
    await vi.waitFor(() => expect(states).toContain('offline'));
    // Sent while offline: it must wait for the new connection's response subscription.
    const pending = client.request('task.list', {});
    await vi.waitFor(() => expect(states.at(-1)).toBe('online'));
    await expect(pending).resolves.toEqual({ tasks: [] });

    const msg = message(2, 'g:ops');
    await gateway.publishAsync(topics.group('ops'), JSON.stringify({ v: 1, type: 'message', msg }), { qos: 1 });
    await vi.waitFor(() => expect(messages).toEqual([msg]));
  });
});

describe('MchatClient catch-up', () => {
  const publish = (msg: Message) => gateway.publishAsync(topics.group('ops'), JSON.stringify({ v: 1, type: 'message', msg }), { qos: 1 });
  const seeded = (last_seq: number) => ({ conversations: [{ conversation_id: 'g:ops', kind: 'group', title: 'Ops', group_id: 'ops', last_seq }] });

  it('seeds from conv.list, follows the group it names, and fills a hole from msg.history before going on', async () => {
    answer = (req) => {
      if (req.op === 'conv.list') return { ok: true, result: seeded(1) };
      if (req.op === 'msg.history') return { ok: true, result: { messages: [message(2, 'g:ops')], has_more: false } };
      return undefined;
    };
    const client = connect({ gapWaitMs: 20 });
    const got: number[] = [];
    client.on('message', (m) => got.push(m.seq));
    await new Promise((resolve) => client.once('synced', () => resolve(undefined)));
    // Subscribed to g:ops by itself, since the seed named it; 1 was known from the seed.
    await vi.waitFor(async () => {
      await publish(message(1, 'g:ops'));
      await publish(message(3, 'g:ops'));
      expect(got).toEqual([2, 3]);
    });
    expect(sent('msg.history').map((r) => r.envelope.payload)).toContainEqual({ conversation_id: 'g:ops', after_seq: 1, limit: 1 });
  });

  it('gives up on a hole that stays open, and delivers what waited behind it', async () => {
    answer = (req) => {
      if (req.op === 'conv.list') return { ok: true, result: seeded(1) };
      if (req.op === 'msg.history') return { ok: true, result: { messages: [], has_more: false } };
      return undefined;
    };
    const client = connect({ gapWaitMs: 20, holeGiveUpMs: 200 });
    const got: number[] = [];
    client.on('message', (m) => got.push(m.seq));
    await new Promise((resolve) => client.once('synced', () => resolve(undefined)));
    await vi.waitFor(async () => {
      if (!sent('msg.history').length) await publish(message(3, 'g:ops'));
      expect(got).toEqual([3]);
    });
  });

  it('after a reconnect, pages msg.sync from the last seq seen, and drops copies that come twice', async () => {
    let syncs = 0;
    answer = (req) => {
      if (req.op === 'conv.list') return { ok: true, result: seeded(1) };
      if (req.op !== 'msg.sync') return undefined;
      syncs += 1;
      return syncs === 1
        ? { ok: true, result: { messages: [message(2, 'g:ops'), message(3, 'g:ops')], has_more: true } }
        : { ok: true, result: { messages: [message(4, 'g:ops')], has_more: false } };
    };
    const client = connect();
    const got: [number, string][] = [];
    client.on('message', (m, source) => got.push([m.seq, source]));
    let synced = 0;
    client.on('synced', () => (synced += 1));
    await vi.waitFor(() => expect(synced).toBe(1));

    connections.get(client.clientId)?.close();
    await vi.waitFor(() => expect(synced).toBe(2));
    await publish(message(3, 'g:ops'));
    await publish(message(5, 'g:ops'));
    await vi.waitFor(() => expect(got.at(-1)?.[0]).toBe(5));
    expect(got).toEqual([[2, 'catch-up'], [3, 'catch-up'], [4, 'catch-up'], [5, 'live']]);
    expect(sent('msg.sync').map((r) => r.envelope.payload)).toEqual([
      { cursors: { 'g:ops': 1 }, limit: 500 },
      { cursors: { 'g:ops': 3 }, limit: 500 },
    ]);
  });
});

describe('MchatClient.send', () => {
  const stored = { msg_id: 'm1', conversation_id: 'd:u_li:u_zhang', seq: 1, ts: 1 };

  it('retries a busy or absent gateway with the same client_msg_id until the message is stored', async () => {
    let tries = 0;
    answer = (req) => {
      if (req.op !== 'msg.send') return { ok: true, result: { conversations: [] } };
      tries += 1;
      if (tries === 1) return { ok: false, error: { code: 'E_UNAVAILABLE', message: 'database down' } };
      if (tries === 2) return { ok: false, error: { code: 'E_RATE_LIMITED', message: 'slow down', retry_after_ms: 20 } };
      if (tries === 3) return undefined; // no answer at all: the timeout counts as unavailable
      return { ok: true, result: stored };
    };
    const client = connect({ timeoutMs: 200 });
    await expect(client.send({ direct: 'u_zhang' }, { text: 'hi' })).resolves.toEqual(stored);
    const sends = sent('msg.send');
    expect(sends).toHaveLength(4);
    expect(new Set(sends.map((r) => (r.envelope.payload as { client_msg_id: string }).client_msg_id)).size).toBe(1);
    // Each try is a request of its own.
    expect(new Set(sends.map((r) => r.envelope.seq_id)).size).toBe(4);
  });

  it('gives up at once on an error no retry can fix', async () => {
    answer = (req) => (req.op === 'conv.list' ? { ok: true, result: { conversations: [] } } : { ok: false, error: { code: 'E_FORBIDDEN', message: 'not a member', field: 'payload.to.group' } });
    const client = connect();
    await expect(client.send({ group: 'g_x' }, { text: 'hi' })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    expect(sent('msg.send')).toHaveLength(1);
  });

  it('gives up with the last error when the gateway stays away past the deadline', async () => {
    answer = (req) => (req.op === 'conv.list' ? { ok: true, result: { conversations: [] } } : { ok: false, error: { code: 'E_UNAVAILABLE', message: 'still down' } });
    const client = connect();
    await expect(client.send({ direct: 'u_zhang' }, { text: 'hi' }, { giveUpAfterMs: 300 })).rejects.toMatchObject({ code: 'E_UNAVAILABLE', message: 'still down' });
    expect(sent('msg.send').length).toBeGreaterThan(1);
  });
});

function message(seq: number, conversation_id: string): Message {
  return {
    msg_id: `m${seq}`, conversation_id, seq, from: 'u_zhang', ts: 1_764_000_000_000 + seq, kind: 'text',
    body: { text: `message ${seq}`, mentions: [], attachments: [] }, client_msg_id: `c${seq}`,
  };
}
