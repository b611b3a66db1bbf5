import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Presence } from '../schemas/index.js';
import { freePort, startMosquitto, type RunningServer } from '../scripts/servers/servers.js';
import { startStack, type Stack } from './stack.js';

/**
 * Presence behind an external broker. EMQX's rules and topic rewrite (deploy/emqx/base.hocon)
 * republish client connections, disconnections and status publishes on
 * `mchat/ingress/{connected|disconnected|status}/{client_id}`; here a Mosquitto stands in for the
 * broker and this test publishes what those rules would, so the gateway's handling of them runs
 * against a real broker and real Redis.
 */
describe('presence behind an external broker: client events from the broker make the retained status', () => {
  let broker: RunningServer;
  let stack: Stack;
  let token: string;
  let emqx: MqttClient; // plays the broker's rules
  let watcher: MqttClient;
  const seen: { topic: string; presence: Presence; retain: boolean }[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(inject('services').dir, 'presence-ext-'));
    broker = await startMosquitto({ port: await freePort(), dir });
    stack = await startStack({ env: { MQTT_URL: broker.url } });
    token = await stack.login('u_zhang');
    emqx = await mqtt.connectAsync(broker.url, { clientId: 'fake-emqx-rules', reconnectPeriod: 0 });
    watcher = await mqtt.connectAsync(broker.url, { clientId: 'watcher', reconnectPeriod: 0 });
    watcher.on('message', (topic, payload, packet) => {
      seen.push({ topic, presence: JSON.parse(payload.toString('utf8')) as Presence, retain: packet.retain });
    });
    await watcher.subscribeAsync('mchat/status/+', { qos: 1 });
  });
  afterAll(async () => {
    await Promise.all([emqx?.endAsync(), watcher?.endAsync()]);
    await stack?.stop();
    await broker?.stop();
  });

  const event = (kind: 'connected' | 'disconnected', clientId: string, at: number) =>
    emqx.publishAsync(`mchat/ingress/${kind}/${clientId}`, JSON.stringify({ at }), { qos: 1 });
  const status = (clientId: string, payload: string) => emqx.publishAsync(`mchat/ingress/status/${clientId}`, payload, { qos: 1 });

  const statesOf = (id: string, from: number) =>
    seen.slice(from).filter((s) => s.topic === `mchat/status/${id}`).map((s) => s.presence.state);

  async function statesUntil(id: string, from: number, expected: Presence['state'][]): Promise<void> {
    for (let i = 0; i < 400 && statesOf(id, from).length < expected.length; i++) await sleep(25);
    expect(statesOf(id, from)).toEqual(expected);
  }

  async function presenceOf(id: string): Promise<Presence> {
    const res = await fetch(`${stack.httpUrl}/api/presence?ids=${id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { presence: Record<string, Presence> }).presence[id]!;
  }

  /** What a subscriber arriving now gets: the retained status the gateway published. */
  async function retained(id: string): Promise<Presence> {
    const c = await mqtt.connectAsync(broker.url, { clientId: `fresh-${Date.now()}`, reconnectPeriod: 0 });
    try {
      const got = new Promise<Presence>((resolve) => c.on('message', (_t, payload) => resolve(JSON.parse(payload.toString('utf8')) as Presence)));
      await c.subscribeAsync(`mchat/status/${id}`, { qos: 1 });
      return await got;
    } finally {
      await c.endAsync();
    }
  }

  it('online from the first device, still online when one of two goes, away and back, offline after the last', async () => {
    const from = seen.length;
    const t = Date.now();
    await event('connected', 'u_li:phone', t);
    await event('connected', 'u_li:laptop', t + 1);
    await statesUntil('u_li', from, ['online']);
    expect(await retained('u_li')).toMatchObject({ state: 'online' });
    expect((await presenceOf('u_li')).state).toBe('online');

    await event('disconnected', 'u_li:phone', t + 2);
    // The marker: the laptop idle, handled after the phone's going.
    await status('u_li:laptop', JSON.stringify({ state: 'away' }));
    await statesUntil('u_li', from, ['online', 'away']);
    await status('u_li:laptop', JSON.stringify({ state: 'online', ts: t }));
    await statesUntil('u_li', from, ['online', 'away', 'online']);
    expect((await presenceOf('u_li')).state).toBe('online');

    await event('disconnected', 'u_li:laptop', t + 3);
    await statesUntil('u_li', from, ['online', 'away', 'online', 'offline']);
    expect(await retained('u_li')).toMatchObject({ state: 'offline' });
    expect((await presenceOf('u_li')).state).toBe('offline');
  });

  it('events out of order: a late end of an older connection leaves the newer one, a late start of an ended one is not counted', async () => {
    const from = seen.length;
    const t = Date.now();
    // A takeover: the new connection's start arrives before the old one's end.
    await event('connected', 'u_wang:web', t);
    await event('connected', 'u_wang:web', t + 10);
    await event('disconnected', 'u_wang:web', t + 5);
    // The marker: an update of the device, after the three.
    await status('u_wang:web', JSON.stringify({ state: 'away' }));
    await statesUntil('u_wang', from, ['online', 'away']);

    // A connection whose end came first (another gateway took its start): nobody is counted.
    await event('disconnected', 'u_wang:web', t + 30);
    await event('disconnected', 'u_wang:phone', t + 20);
    await event('connected', 'u_wang:phone', t + 15);
    await statesUntil('u_wang', from, ['online', 'away', 'offline']);
    // The marker: a status update of the phone, which is not connected, changes nothing.
    await status('u_wang:phone', JSON.stringify({ state: 'online' }));
    await event('connected', 'u_wang:tablet', t + 40);
    await statesUntil('u_wang', from, ['online', 'away', 'offline', 'online']);
    await event('disconnected', 'u_wang:tablet', t + 41);
    await statesUntil('u_wang', from, ['online', 'away', 'offline', 'online', 'offline']);
  });

  it('ignores malformed events and junk status updates, and service connections', async () => {
    const from = seen.length;
    const t = Date.now();
    await event('connected', 'u_li:desk', t);
    await statesUntil('u_li', from, ['online']);
    await emqx.publishAsync('mchat/ingress/disconnected/u_li:desk', 'not json', { qos: 1 });
    await emqx.publishAsync('mchat/ingress/disconnected/u_li:desk', JSON.stringify({ at: 'soon' }), { qos: 1 });
    await status('u_li:desk', JSON.stringify({ state: 'offline' }));
    await status('u_li:desk', 'x'.repeat(1_000));
    await event('connected', 'svc@gateway-1', t);
    // The marker: a valid update after the junk.
    await status('u_li:desk', JSON.stringify({ state: 'away' }));
    await statesUntil('u_li', from, ['online', 'away']);
    await event('disconnected', 'u_li:desk', t + 1);
    await statesUntil('u_li', from, ['online', 'away', 'offline']);
  });
});

describe('presence behind a broker that rewrites status topics (EMQX, MQTT_STATUS_REWRITE)', () => {
  let broker: RunningServer;
  let stack: Stack;
  let client: MqttClient;

  beforeAll(async () => {
    const dir = mkdtempSync(join(inject('services').dir, 'presence-rw-'));
    broker = await startMosquitto({ port: await freePort(), dir });
    stack = await startStack({ env: { MQTT_URL: broker.url, MQTT_STATUS_REWRITE: 'true' } });
    client = await mqtt.connectAsync(broker.url, { clientId: 'fake-emqx', reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await client?.endAsync();
    await stack?.stop();
    await broker?.stop();
  });

  it('publishes the status, retained, on mchat/gateway/status/{id} for the broker to move onto mchat/status/{id}', async () => {
    const got = new Promise<{ topic: string; presence: Presence }>((resolve) =>
      client.on('message', (topic, payload) => resolve({ topic, presence: JSON.parse(payload.toString('utf8')) as Presence })));
    await client.subscribeAsync('mchat/gateway/status/+', { qos: 1 });
    await client.publishAsync('mchat/ingress/connected/u_li:web', JSON.stringify({ at: Date.now() }), { qos: 1 });
    const { topic, presence } = await got;
    expect(topic).toBe('mchat/gateway/status/u_li');
    expect(presence.state).toBe('online');
  });
});
