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
 * Presence: `mchat/status/{id}` is published by its employee (retained, QoS 0) and by the broker
 * from that connection's Last Will; the gateway records it for `GET /api/presence`.
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

  let willTs: number;

  it('online while connected; after an abrupt disconnect the Last Will says offline, retained and in /api/presence', async () => {
    willTs = Date.now();
    const onlineTs = willTs + 1;
    const li = await connect(stack.mqttUrl, {
      username: 'u_li', password: tokens.u_li, clientId: 'u_li:phone',
      will: { topic: 'mchat/status/u_li', payload: Buffer.from(JSON.stringify({ state: 'offline', ts: willTs })), qos: 0, retain: true },
    });
    opened.push(li);
    await li.publishAsync('mchat/status/u_li', JSON.stringify({ state: 'online', ts: onlineTs }), { qos: 0, retain: true });

    await zhang.waitFor(isStatus('u_li', (p) => p.state === 'online' && p.ts === onlineTs));
    expect(await retainedStatus('u_li')).toEqual({ json: { state: 'online', ts: onlineTs }, retain: true });
    await presenceUntil('u_li', (p) => p.state === 'online' && p.ts === onlineTs);

    // Abrupt: the socket dies without DISCONNECT, so the broker publishes the will.
    li.stream.destroy();

    await zhang.waitFor(isStatus('u_li', (p) => p.state === 'offline' && p.ts === willTs));
    expect(await retainedStatus('u_li')).toEqual({ json: { state: 'offline', ts: willTs }, retain: true });
    expect(await presenceUntil('u_li', (p) => p.state === 'offline' && p.ts === willTs)).toEqual({ state: 'offline', ts: willTs });
  });

  it('a member cannot set another employee’s status: the publish is dropped, the retained state and /api/presence keep the truth', async () => {
    const tag = ulid();
    await zhang.mqtt.publishAsync('mchat/status/u_li', JSON.stringify({ state: 'online', ts: Date.now(), tag }), { qos: 0, retain: true });
    // The marker: zhang's own status, which he may set.
    const markerTs = Date.now() + 2;
    await zhang.mqtt.publishAsync('mchat/status/u_zhang', JSON.stringify({ state: 'away', ts: markerTs }), { qos: 0, retain: true });
    await wang.waitFor(isStatus('u_zhang', (p) => p.ts === markerTs));
    await sleep(NOT_ARRIVING_MS);

    expect(wang.received.some(isStatus('u_li', (p) => p.tag === tag)), 'the forged status reached a subscriber').toBe(false);
    expect(await retainedStatus('u_li')).toEqual({ json: { state: 'offline', ts: willTs }, retain: true });
    expect(await presenceOf('u_li')).toEqual({ state: 'offline', ts: willTs });
    await presenceUntil('u_zhang', (p) => p.state === 'away' && p.ts === markerTs);
    expect(zhang.mqtt.connected).toBe(true);
  });

  it('nor through a Last Will on another employee’s status topic', async () => {
    const clientId = `u_zhang:rogue-${ulid()}`;
    const forgedTs = Date.now() + 5;
    const rogue = await connect(stack.mqttUrl, {
      username: 'u_zhang', password: tokens.u_zhang, clientId,
      will: { topic: 'mchat/status/u_li', payload: Buffer.from(JSON.stringify({ state: 'online', ts: forgedTs })), qos: 0, retain: true },
    });
    opened.push(rogue);
    rogue.stream.destroy();
    // The marker: the broker announces the disconnect; the will is handled as the client goes.
    for (let i = 0; i < 200 && !disconnected.includes(clientId); i++) await sleep(25);
    expect(disconnected).toContain(clientId);
    await sleep(NOT_ARRIVING_MS);

    expect(wang.received.some(isStatus('u_li', (p) => p.ts === forgedTs)), 'the forged will reached a subscriber').toBe(false);
    expect(await retainedStatus('u_li')).toEqual({ json: { state: 'offline', ts: willTs }, retain: true });
    expect(await presenceOf('u_li')).toEqual({ state: 'offline', ts: willTs });
  });

  it('a clean disconnect discards the will, so the gateway says offline on the employee’s behalf', async () => {
    const onlineTs = Date.now();
    const [laptop, tablet] = await Promise.all(['laptop', 'tablet'].map((device) =>
      connect(stack.mqttUrl, { username: 'u_li', password: tokens.u_li, clientId: `u_li:${device}` })));
    await laptop!.publishAsync('mchat/status/u_li', JSON.stringify({ state: 'online', ts: onlineTs }), { qos: 0, retain: true });
    await presenceUntil('u_li', (p) => p.state === 'online' && p.ts === onlineTs);
    // One device going away does not make her offline while another is connected.
    await laptop!.endAsync();
    await tablet!.publishAsync('mchat/msg/req/marker', 'not json', { qos: 1 });
    expect(await presenceOf('u_li')).toEqual({ state: 'online', ts: onlineTs });
    await tablet!.endAsync();
    const offline = await zhang.waitFor(isStatus('u_li', (p) => p.state === 'offline' && p.ts > onlineTs));
    expect(await retainedStatus('u_li')).toEqual({ json: offline.json, retain: true });
    await presenceUntil('u_li', (p) => p.state === 'offline' && p.ts > onlineTs);
  });
});
