import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Presence } from '../schemas/index.js';
import { startStack, type Stack } from './stack.js';
import { TestClient } from './client.js';

/**
 * Presence: the gateway owns the retained `mchat/status/{id}`, folded from every device of the
 * employee (tracked in Redis): online while one is connected and not idle, away while all are
 * idle, offline when the last has gone. Clients' own publishes and Last Wills only tell it how
 * one device is; they never reach the topic.
 */

// How long a refused status gets to show up after a later marker did.
const NOT_ARRIVING_MS = 300;

function connect(url: string, opts: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...opts }, false);
}

const isStatus = (id: string, pred: (p: Presence & { tag?: string }) => boolean) => (r: { topic: string; json: unknown }) =>
  r.topic === `mchat/status/${id}` && pred(r.json as Presence & { tag?: string });

describe('presence: status topics, Last Will and /api/presence', () => {
  let stack: Stack;
  let tokens: { u_li: string; u_zhang: string; u_wang: string };
  let zhang: TestClient; // watches everyone's status, as the web app does
  let wang: TestClient; // a second watcher
  let observer: MqttClient; // the gateway's service identity: sees broker disconnect notices
  const disconnected: string[] = [];
  const opened: MqttClient[] = [];

  /** GET /api/presence for one id, as zhang. */
  async function presenceOf(id: string): Promise<Presence> {
    const res = await fetch(`${stack.httpUrl}/api/presence?ids=${id}`, { headers: { authorization: `Bearer ${tokens.u_zhang}` } });
    expect(res.status, 'GET /api/presence').toBe(200);
    const body = (await res.json()) as { presence: Record<string, Presence> };
    return body.presence[id]!;
  }

  /** Polls /api/presence until `pred` holds (the gateway writes Redis after the broker publishes). */
  async function presenceUntil(id: string, pred: (p: Presence) => boolean, timeoutMs = 10_000): Promise<Presence> {
    const deadline = Date.now() + timeoutMs;
    let last = await presenceOf(id);
    while (!pred(last)) {
      if (Date.now() > deadline) throw new Error(`presence of ${id} is still ${JSON.stringify(last)}`);
      await sleep(50);
      last = await presenceOf(id);
    }
    return last;
  }

  /** What a subscriber arriving now is given for `mchat/status/{id}`: the retained state. */
  async function retainedStatus(id: string): Promise<{ json: Presence; retain: boolean }> {
    const c = await connect(stack.mqttUrl, { username: 'u_wang', password: tokens.u_wang, clientId: `u_wang:fresh-${ulid()}` });
    try {
      const got = new Promise<{ json: Presence; retain: boolean }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no retained status for ${id}`)), 5_000);
        c.on('message', (topic, payload, packet) => {
          if (topic !== `mchat/status/${id}`) return;
          clearTimeout(timer);
          resolve({ json: JSON.parse(payload.toString('utf8')) as Presence, retain: packet.retain });
        });
      });
      await c.subscribeAsync(`mchat/status/${id}`, { qos: 0 });
      return await got;
    } finally {
      await c.endAsync();
    }
  }

  beforeAll(async () => {
    stack = await startStack();
    const [li, zh, wa] = await Promise.all(['u_li', 'u_zhang', 'u_wang'].map((id) => stack.login(id)));
    tokens = { u_li: li!, u_zhang: zh!, u_wang: wa! };
    [zhang, wang] = await Promise.all([
      TestClient.connect(stack.mqttUrl, 'u_zhang', tokens.u_zhang, 'presence'),
      TestClient.connect(stack.mqttUrl, 'u_wang', tokens.u_wang, 'presence'),
    ]);
    await Promise.all([zhang.mqtt.subscribeAsync('mchat/status/+', { qos: 0 }), wang.mqtt.subscribeAsync('mchat/status/+', { qos: 0 })]);
    const secret = readFileSync(join(stack.env.MCHAT_DATA_DIR!, 'secrets', 'MCHAT_SERVICE_SECRET'), 'utf8').trim();
    observer = await connect(stack.mqttUrl, { username: 'svc@gateway', password: secret, clientId: `svc@gateway:observer-${ulid()}` });
    observer.on('message', (topic, payload) => {
      if (topic.endsWith('/disconnect/clients')) disconnected.push(payload.toString('utf8'));
    });
    await observer.subscribeAsync('$SYS/+/disconnect/clients', { qos: 0 });
  });
  afterAll(async () => {
    for (const c of opened) c.end(true);
    await Promise.all([zhang?.close(), wang?.close(), observer?.endAsync()]);
    await stack?.stop();
  });

  /** The first status `state` of `id` that `watcher` received at or after its `from`th message. */
  const nextState = (watcher: TestClient, id: string, state: Presence['state'], from: number) =>
    watcher.waitFor((r) => watcher.received.indexOf(r) >= from && isStatus(id, (p) => p.state === state)(r));

  /** The states zhang saw for `id`, in order, from the `from`th message he received. */
  const statesOf = (id: string, from = 0) =>
    zhang.received.slice(from).filter(isStatus(id, () => true)).map((r) => (r.json as Presence).state);

  /** Waits until the broker has announced `clientId`'s disconnect (the gateway is told alongside). */
  async function disconnectNoticed(clientId: string): Promise<void> {
    for (let i = 0; i < 200 && !disconnected.includes(clientId); i++) await sleep(25);
    expect(disconnected).toContain(clientId);
  }

  const willOffline = (id: string) =>
    ({ topic: `mchat/status/${id}`, payload: Buffer.from(JSON.stringify({ state: 'offline', ts: Date.now() })), qos: 0, retain: true }) as const;

  it('two devices: one dropping without DISCONNECT (its Last Will fires) leaves her online; away and back; offline when the last goes', async () => {
    const from = zhang.received.length;
    const laptop = await connect(stack.mqttUrl, { username: 'u_li', password: tokens.u_li, clientId: 'u_li:laptop', will: willOffline('u_li') });
    const phone = await connect(stack.mqttUrl, { username: 'u_li', password: tokens.u_li, clientId: 'u_li:phone', will: willOffline('u_li') });
    opened.push(laptop, phone);
    await zhang.waitFor(isStatus('u_li', (p) => p.state === 'online'));
    const retained = await retainedStatus('u_li');
    expect(retained.retain).toBe(true);
    expect(retained.json.state).toBe('online');
    await presenceUntil('u_li', (p) => p.state === 'online');

    // Abrupt: the socket dies without DISCONNECT, so the broker publishes the phone's will.
    phone.stream.destroy();
    await disconnectNoticed('u_li:phone');
    // The marker: the laptop going idle is handled after the phone's going.
    await laptop.publishAsync('mchat/status/u_li', JSON.stringify({ state: 'away', ts: Date.now() }), { qos: 0, retain: true });
    await zhang.waitFor(isStatus('u_li', (p) => p.state === 'away'));
    expect(statesOf('u_li', from)).toEqual(['online', 'away']);
    expect((await retainedStatus('u_li')).json.state).toBe('away');
    expect((await presenceUntil('u_li', (p) => p.state === 'away')).state).toBe('away');

    const back = zhang.received.length;
    await laptop.publishAsync('mchat/status/u_li', JSON.stringify({ state: 'online', ts: Date.now() }), { qos: 0 });
    await nextState(zhang, 'u_li', 'online', back);
    expect(statesOf('u_li', from)).toEqual(['online', 'away', 'online']);
    await presenceUntil('u_li', (p) => p.state === 'online');

    laptop.stream.destroy();
    const offline = await zhang.waitFor(isStatus('u_li', (p) => p.state === 'offline'));
    expect(statesOf('u_li', from)).toEqual(['online', 'away', 'online', 'offline']);
    expect(await retainedStatus('u_li')).toEqual({ json: offline.json, retain: true });
    await presenceUntil('u_li', (p) => p.state === 'offline');
  });

  it('away only while every connected device is idle', async () => {
    const from = zhang.received.length;
    const [desk, tablet] = await Promise.all(['desk', 'tablet'].map((device) =>
      connect(stack.mqttUrl, { username: 'u_li', password: tokens.u_li, clientId: `u_li:${device}` })));
    opened.push(desk!, tablet!);
    await nextState(zhang, 'u_li', 'online', from);
    await desk!.publishAsync('mchat/status/u_li', JSON.stringify({ state: 'away' }), { qos: 0 });
    // The marker: the tablet going idle too, handled after the desk.
    await tablet!.publishAsync('mchat/status/u_li', JSON.stringify({ state: 'away' }), { qos: 0 });
    await nextState(zhang, 'u_li', 'away', from);
    expect(statesOf('u_li', from)).toEqual(['online', 'away']);
    await Promise.all([desk!.endAsync(), tablet!.endAsync()]);
    await nextState(zhang, 'u_li', 'offline', from);
    expect(statesOf('u_li', from)).toEqual(['online', 'away', 'offline']);
  });

  it('a member cannot set another employee’s status: the publish is dropped, the retained state and /api/presence keep the truth', async () => {
    const before = await retainedStatus('u_li');
    const tag = ulid();
    await zhang.mqtt.publishAsync('mchat/status/u_li', JSON.stringify({ state: 'online', ts: Date.now(), tag }), { qos: 0, retain: true });
    // The marker: zhang's own status, which he may set (his connection is online: away is a change).
    await zhang.mqtt.publishAsync('mchat/status/u_zhang', JSON.stringify({ state: 'away', ts: Date.now() }), { qos: 0, retain: true });
    await wang.waitFor(isStatus('u_zhang', (p) => p.state === 'away'));
    await sleep(NOT_ARRIVING_MS);

    expect(wang.received.some(isStatus('u_li', (p) => p.tag === tag)), 'the forged status reached a subscriber').toBe(false);
    expect(await retainedStatus('u_li')).toEqual(before);
    expect(await presenceOf('u_li')).toEqual(before.json);
    expect((await presenceUntil('u_zhang', (p) => p.state === 'away')).state).toBe('away');
    expect(zhang.mqtt.connected).toBe(true);
    await zhang.mqtt.publishAsync('mchat/status/u_zhang', JSON.stringify({ state: 'online' }), { qos: 0 });
    await presenceUntil('u_zhang', (p) => p.state === 'online');
  });

  it('nor through a Last Will on another employee’s status topic', async () => {
    const before = await retainedStatus('u_li');
    const clientId = `u_zhang:rogue-${ulid()}`;
    const forgedTs = Date.now() + 5;
    const rogue = await connect(stack.mqttUrl, {
      username: 'u_zhang', password: tokens.u_zhang, clientId,
      will: { topic: 'mchat/status/u_li', payload: Buffer.from(JSON.stringify({ state: 'online', ts: forgedTs })), qos: 0, retain: true },
    });
    opened.push(rogue);
    rogue.stream.destroy();
    await disconnectNoticed(clientId);
    await sleep(NOT_ARRIVING_MS);

    expect(wang.received.some(isStatus('u_li', (p) => p.ts === forgedTs)), 'the forged will reached a subscriber').toBe(false);
    expect(await retainedStatus('u_li')).toEqual(before);
    expect(await presenceOf('u_li')).toEqual(before.json);
  });

  it.each([
    ['not JSON', 'online!'],
    ['offline while connected', JSON.stringify({ state: 'offline', ts: 1 })],
    ['an unknown state', JSON.stringify({ state: 'busy', ts: 1 })],
    ['a state that is not a string', JSON.stringify({ state: ['away'], ts: 1 })],
    ['oversized', JSON.stringify({ state: 'away', ts: 1, pad: 'x'.repeat(300) })],
  ])('a junk status publish on one’s own topic is refused: %s', async (_what, payload) => {
    const from = wang.received.length;
    const zhangFrom = zhang.received.length;
    const phone = await connect(stack.mqttUrl, { username: 'u_li', password: tokens.u_li, clientId: `u_li:junk-${ulid()}` });
    opened.push(phone);
    await nextState(wang, 'u_li', 'online', from);
    // QoS 1: acknowledged once the broker has handled it.
    await phone.publishAsync('mchat/status/u_li', payload, { qos: 1, retain: true });
    await sleep(NOT_ARRIVING_MS);
    expect(wang.received.slice(from).filter(isStatus('u_li', () => true)).map((r) => r.json)).toEqual([
      expect.objectContaining({ state: 'online' }),
    ]);
    expect((await retainedStatus('u_li')).json.state).toBe('online');
    expect((await presenceOf('u_li')).state).toBe('online');
    expect(phone.connected).toBe(true);
    await phone.endAsync();
    // Both watchers have seen it before the next test looks.
    await Promise.all([nextState(wang, 'u_li', 'offline', from), nextState(zhang, 'u_li', 'offline', zhangFrom)]);
  });

  it('a client reconnecting with the same client id (a takeover) stays online', async () => {
    const from = zhang.received.length;
    const first = await connect(stack.mqttUrl, { username: 'u_li', password: tokens.u_li, clientId: 'u_li:same' });
    opened.push(first);
    await nextState(zhang, 'u_li', 'online', from);
    const second = await connect(stack.mqttUrl, { username: 'u_li', password: tokens.u_li, clientId: 'u_li:same' });
    opened.push(second);
    // The marker: the new connection's own update, handled after the old one's end.
    await second.publishAsync('mchat/status/u_li', JSON.stringify({ state: 'away' }), { qos: 0 });
    await nextState(zhang, 'u_li', 'away', from);
    expect(statesOf('u_li', from)).toEqual(['online', 'away']);
    await second.endAsync();
    await nextState(zhang, 'u_li', 'offline', from);
  });
});
