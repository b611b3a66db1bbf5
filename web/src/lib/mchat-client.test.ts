import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { topics, type Event, type RequestEnvelope, type ResponseEnvelope } from '../../../schemas/index.js';
import { message } from './fixtures.js';
import { MchatClient, MchatError, type ConnectionState } from './mchat-client.js';

const TOKEN = 'token-of-u_li';

let broker: Aedes;
let server: Server;
let url: string;
let gateway: MqttClient;
const connections = new Map<string, Client>();
/** What the stand-in gateway received, and how it answers (undefined: stays silent). */
const received: { topic: string; envelope: RequestEnvelope }[] = [];
let answer: (req: RequestEnvelope) => Omit<ResponseEnvelope, 'v' | 'seq_id'> | undefined;

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

  // A stand-in for the gateway: reads requests, answers on the caller's response topic.
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

function connect(opts: { token?: string; timeoutMs?: number; onEvent?: (e: Event) => void; onState?: (s: ConnectionState) => void } = {}) {
  const client = new MchatClient({ url, employeeId: 'u_li', token: TOKEN, ...opts });
  clients.push(client);
  return client;
}

describe('MchatClient.request', () => {
  it('publishes a protocol envelope and resolves with the result', async () => {
    answer = (req) => ({ ok: true, result: { employees: [{ id: 'a_sales', q: req.payload.q }] } });
    const client = connect();
    const result = await client.request('employee.search', { q: 'sales' });

    expect(result).toEqual({ employees: [{ id: 'a_sales', q: 'sales' }] });
    expect(client.clientId).toMatch(/^u_li:web-[0-9a-f]{8}$/);
    const [req] = received;
    expect(req?.topic).toBe(`mchat/msg/req/${req?.envelope.seq_id}`);
    expect(req?.envelope).toMatchObject({ v: 1, client_id: client.clientId, op: 'employee.search', payload: { q: 'sales' } });
    expect(req?.envelope.seq_id).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
    expect(req?.envelope.ts).toBeTypeOf('number');
  });

  it('matches concurrent answers to their requests by seq_id', async () => {
    answer = (req) => ({ ok: true, result: { echo: req.payload.q } });
    const client = connect();
    const results = await Promise.all(['a', 'b', 'c'].map((q) => client.request('employee.search', { q })));

    expect(results).toEqual([{ echo: 'a' }, { echo: 'b' }, { echo: 'c' }]);
    expect(new Set(received.map((r) => r.envelope.seq_id)).size).toBe(3);
  });

  it('rejects with the protocol error the gateway sent', async () => {
    answer = () => ({ ok: false, error: { code: 'E_NOT_FOUND', message: 'no employee "u_x"', field: 'payload.id' } });
    const err = await connect().request('employee.get', { id: 'u_x' }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(MchatError);
    expect(err).toMatchObject({ code: 'E_NOT_FOUND', message: 'no employee "u_x"', field: 'payload.id' });
  });

  it('gives up after the timeout and ignores a late answer', async () => {
    answer = () => undefined;
    const client = connect({ timeoutMs: 300 });
    const started = Date.now();
    const err = await client.request('conv.list', {}).catch((e: unknown) => e);

    expect(err).toMatchObject({ name: 'MchatError', code: 'E_UNAVAILABLE' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    const late = { v: 1, seq_id: received[0]!.envelope.seq_id, ok: true, result: {} };
    await gateway.publishAsync(topics.resp(client.clientId, late.seq_id), JSON.stringify(late), { qos: 1 });

    answer = () => ({ ok: true, result: { conversations: [] } });
    await expect(client.request('conv.list', {})).resolves.toEqual({ conversations: [] });
  });
});

describe('MchatClient events and connection', () => {
  it('delivers valid events from the inbox and watched groups, and skips the rest', async () => {
    const events: Event[] = [];
    const client = connect({ onEvent: (e) => events.push(e) });
    answer = () => ({ ok: true, result: {} });
    await client.request('conv.list', {}); // subscribed by now
    await client.watchGroups(['ops']);

    const msg = message(1, { conversation_id: 'g:ops' });
    await gateway.publishAsync(topics.inbox('u_li'), 'not json', { qos: 1 });
    await gateway.publishAsync(topics.inbox('u_li'), JSON.stringify({ v: 1, type: 'message', msg: { seq: 'x' } }), { qos: 1 });
    await gateway.publishAsync(topics.group('ops'), JSON.stringify({ v: 1, type: 'message', msg }), { qos: 1 });
    const workflow = { v: 1, type: 'workflow', workflow_id: 'wf-1', conversation_id: 'g:ops', status: 'running', step: 'ask sales' };
    await gateway.publishAsync(topics.inbox('u_li'), JSON.stringify(workflow), { qos: 1 });

    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(events[0]).toEqual({ v: 1, type: 'message', msg });
    expect(events[1]).toEqual(workflow);
  });

  it('rejects watching a group the broker refuses', async () => {
    const client = connect();
    answer = () => ({ ok: true, result: {} });
    await client.request('conv.list', {});
    await expect(client.watchGroups(['ops', 'secret'])).rejects.toMatchObject({ code: 'E_FORBIDDEN', message: 'The broker refused mchat/group/secret.' });
  });

  it('reports the connection going online, and a refused token without retrying', async () => {
    const good: ConnectionState[] = [];
    connect({ onState: (s) => good.push(s) });
    await vi.waitFor(() => expect(good).toEqual(['connecting', 'online']));

    const bad: ConnectionState[] = [];
    const refused = connect({ token: 'expired', onState: (s) => bad.push(s) });
    const err = await refused.request('conv.list', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'MchatError', code: 'E_AUTH' });
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // longer than the reconnect period
    expect(bad).toEqual(['connecting', 'refused']);
  });

  it('after a dropped connection, renews its subscriptions before sending again', async () => {
    const states: ConnectionState[] = [];
    const events: Event[] = [];
    const client = connect({ onState: (s) => states.push(s), onEvent: (e) => events.push(e) });
    answer = () => ({ ok: true, result: { conversations: [] } });
    await client.request('conv.list', {});
    await client.watchGroups(['ops']);

    connections.get(client.clientId)?.close();
    await vi.waitFor(() => expect(states).toContain('offline'));
    // Sent while offline: it must wait for the new connection's response subscription.
    const pending = client.request('conv.list', {});
    await vi.waitFor(() => expect(states.at(-1)).toBe('online'), { timeout: 4_000 });
    await expect(pending).resolves.toEqual({ conversations: [] });

    const msg = message(2, { conversation_id: 'g:ops' });
    await gateway.publishAsync(topics.group('ops'), JSON.stringify({ v: 1, type: 'message', msg }), { qos: 1 });
    await vi.waitFor(() => expect(events).toEqual([{ v: 1, type: 'message', msg }]));
  });
});

describe('MchatClient.sendMessage', () => {
  const sent = { msg_id: 'm1', conversation_id: 'd:u_li:u_zhang', seq: 1, ts: 1 };

  it('retries a busy or absent gateway with the same client_msg_id until the message is stored', async () => {
    let tries = 0;
    answer = () => {
      tries += 1;
      if (tries === 1) return { ok: false, error: { code: 'E_UNAVAILABLE', message: 'database down' } };
      if (tries === 2) return { ok: false, error: { code: 'E_RATE_LIMITED', message: 'slow down', retry_after_ms: 20 } };
      if (tries === 3) return undefined; // no answer at all: the timeout counts as unavailable
      return { ok: true, result: sent };
    };
    const client = connect({ timeoutMs: 200 });
    await expect(client.sendMessage({ direct: 'u_zhang' }, { text: 'hi' })).resolves.toEqual(sent);
    expect(received).toHaveLength(4);
    const ids = new Set(received.map((r) => (r.envelope.payload as { client_msg_id: string }).client_msg_id));
    expect(ids.size).toBe(1);
    // Each try is a request of its own.
    expect(new Set(received.map((r) => r.envelope.seq_id)).size).toBe(4);
  });

  it('gives up at once on an error no retry can fix', async () => {
    answer = () => ({ ok: false, error: { code: 'E_FORBIDDEN', message: 'not a member', field: 'payload.to.group' } });
    const client = connect();
    await expect(client.sendMessage({ group: 'g_x' }, { text: 'hi' })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    expect(received).toHaveLength(1);
  });

  it('gives up with the last error when the gateway stays away past the deadline', async () => {
    answer = () => ({ ok: false, error: { code: 'E_UNAVAILABLE', message: 'still down' } });
    const client = connect();
    await expect(client.sendMessage({ direct: 'u_zhang' }, { text: 'hi' }, { giveUpAfterMs: 300 })).rejects.toBeInstanceOf(MchatError);
    expect(received.length).toBeGreaterThan(1);
  });
});
