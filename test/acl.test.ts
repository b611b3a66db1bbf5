import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { SignJWT } from 'jose';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPayloads, parseTopic, type AuditEntry, type Event, type ResponseEnvelope } from '../schemas/index.js';
import { DEMO_PASSWORD, startStack, type Stack } from './stack.js';
import { TestClient, errorOf } from './client.js';

/**
 * Identity and access over real connections: every topic kind × relation × action against the
 * gateway's embedded broker, CONNECT and login refusals, membership changes applied to live
 * connections, and admin-only ops. The rules under test are gateway/broker/acl.ts and docs/protocol.md.
 */

// How long a refused publish gets to show up after a later marker from the same sender did.
const NOT_ARRIVING_MS = 300;

type Who = 'u_li' | 'u_zhang' | 'u_wang';

const secretOf = (stack: Stack, name: string) => readFileSync(join(stack.env.MCHAT_DATA_DIR!, 'secrets', name), 'utf8').trim();

/** A privileged client (the gateway's service identity) watching everything under `filters`. */
class Observer {
  readonly seen: { topic: string; text: string }[] = [];
  private waiters: { match: (m: { topic: string; text: string }) => boolean; resolve: () => void }[] = [];

  private constructor(readonly mqtt: MqttClient) {
    mqtt.on('message', (topic, payload) => {
      const m = { topic, text: payload.toString('utf8') };
      this.seen.push(m);
      this.waiters = this.waiters.filter((w) => (w.match(m) ? (w.resolve(), false) : true));
    });
  }

  static async connect(url: string, secret: string, filters: string[]): Promise<Observer> {
    const client = await mqtt.connectAsync(url, {
      username: 'svc@gateway', password: secret, clientId: `svc@gateway:observer-${ulid()}`,
      protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000,
    }, false);
    const o = new Observer(client);
    await client.subscribeAsync(filters, { qos: 1 });
    return o;
  }

  waitFor(match: (m: { topic: string; text: string }) => boolean, timeoutMs = 10_000): Promise<void> {
    if (this.seen.some(match)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`observer: nothing matching within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  saw(tag: string): boolean {
    return this.seen.some((m) => m.text.includes(tag));
  }
}

/** Connects and resolves, or rejects with the CONNACK refusal (no retries). */
function tryConnect(url: string, opts: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...opts }, false);
}

const isGroupMessage = (text: string) => (r: { topic: string; json: unknown }) =>
  r.topic === 'mchat/group/g_sales' && (r.json as Event).type === 'message' && (r.json as { msg: { body: { text?: string } } }).msg.body.text === text;

describe('identity and access over real connections', () => {
  let stack: Stack;
  let observer: Observer;
  let tokens: Record<Who, string>;
  let clients: Record<Who, TestClient>;
  const extra: MqttClient[] = [];

  beforeAll(async () => {
    stack = await startStack();
    const ids: Who[] = ['u_li', 'u_zhang', 'u_wang'];
    const issued = await Promise.all(ids.map((id) => stack.login(id)));
    tokens = Object.fromEntries(ids.map((id, i) => [id, issued[i]!])) as Record<Who, string>;
    const connected = await Promise.all(ids.map((id) => TestClient.connect(stack.mqttUrl, id, tokens[id], 'test')));
    clients = Object.fromEntries(ids.map((id, i) => [id, connected[i]!])) as Record<Who, TestClient>;
    observer = await Observer.connect(stack.mqttUrl, secretOf(stack, 'MCHAT_SERVICE_SECRET'), ['mchat/#', '$SYS/#']);
  });
  afterAll(async () => {
    for (const c of extra) c.end(true);
    await Promise.all([...Object.values(clients ?? {}).map((c) => c.close()), observer?.mqtt.endAsync()]);
    await stack?.stop();
  });

  /**
   * After `sender` published something that must be dropped: the same sender publishes an allowed
   * request; once the observer has that, whatever was refused had its chance to arrive.
   */
  async function marker(sender: TestClient): Promise<void> {
    const seq = ulid();
    const answered = sender.request('conv.list', {}, seq);
    await observer.waitFor((m) => m.topic === `mchat/msg/req/${seq}`);
    expect((await answered).ok).toBe(true);
    await sleep(NOT_ARRIVING_MS);
  }

  describe('the ACL matrix: subscribe', () => {
    // [who, filter, allowed, relation]. Client ids are `{who}:test`.
    const SUBSCRIBE: [Who, string, boolean, string][] = [
      ['u_li', 'mchat/inbox/u_li', true, 'own inbox'],
      ['u_li', 'mchat/inbox/u_zhang', false, "another employee's inbox"],
      ['u_wang', 'mchat/inbox/u_li', false, "another employee's inbox, as admin"],
      ['u_li', 'mchat/inbox/+', false, 'every inbox (wildcard)'],
      ['u_wang', 'mchat/inbox/+', false, 'every inbox (wildcard), as admin'],
      ['u_li', 'mchat/inbox/u_li/#', false, 'own inbox with a multi-level tail'],
      ['u_li', 'mchat/msg/resp/u_li:test/+', true, 'own response topics (+)'],
      ['u_li', 'mchat/msg/resp/u_li:test/#', true, 'own response topics (#)'],
      ['u_li', `mchat/msg/resp/u_li:test/${ulid()}`, true, 'one own response topic'],
      ['u_li', 'mchat/msg/resp/u_li:phone/+', false, "another device's response topics, same employee"],
      ['u_li', 'mchat/msg/resp/u_zhang:test/+', false, "another employee's response topics"],
      ['u_li', `mchat/msg/resp/u_zhang:test/${ulid()}`, false, "one of another employee's response topics"],
      ['u_wang', 'mchat/msg/resp/u_li:test/+', false, "another employee's response topics, as admin"],
      ['u_li', 'mchat/msg/resp/+/+', false, 'every response topic'],
      ['u_li', 'mchat/msg/resp/#', false, 'every response topic (#)'],
      ['u_li', `mchat/msg/req/${ulid()}`, false, 'a request topic'],
      ['u_li', 'mchat/msg/req/+', false, 'every request topic'],
      ['u_wang', 'mchat/msg/req/+', false, 'every request topic, as admin'],
      ['u_li', 'mchat/group/g_sales', true, 'a group it is a member of'],
      ['u_wang', 'mchat/group/g_sales', true, 'a group it is a member of, as admin'],
      ['u_zhang', 'mchat/group/g_sales', false, 'a group it is not a member of'],
      ['u_li', 'mchat/group/g_nowhere', false, 'a group that does not exist'],
      ['u_li', 'mchat/group/+', false, 'every group'],
      ['u_zhang', 'mchat/group/g_sales/#', false, 'a group it is not in, with a multi-level tail'],
      ['u_li', 'mchat/status/u_li', true, 'own status'],
      ['u_li', 'mchat/status/u_zhang', true, "another employee's status"],
      ['u_li', 'mchat/status/+', true, 'everyone’s status'],
      ['u_li', 'mchat/status/#', false, 'status with #'],
      ['u_li', 'mchat/profile/u_zhang', true, "another employee's profile"],
      ['u_li', 'mchat/profile/+', true, 'every profile'],
      ['u_li', 'mchat/org/tree', true, 'the org tree'],
      ['u_li', 'mchat/system/notify', true, 'system notices'],
      ['u_li', 'mchat/agent/capability/order_lookup', true, 'one skill'],
      ['u_li', 'mchat/agent/capability/+', true, 'every skill'],
      ['u_li', 'mchat/admin/cmd', false, 'admin commands, as member'],
      ['u_wang', 'mchat/admin/cmd', false, 'admin commands, as admin (only the gateway reads them)'],
      ['u_li', 'mchat/+/u_zhang', false, "everything about another employee (+ in the kind)"],
      ['u_li', 'mchat/#', false, 'everything under mchat'],
      ['u_wang', 'mchat/#', false, 'everything under mchat, as admin'],
      ['u_li', '#', false, 'everything'],
      ['u_wang', '#', false, 'everything, as admin'],
      ['u_li', '$SYS/#', false, 'broker internals'],
      ['u_li', 'mchat/ingress/#', false, 'the EMQX ingress relay'],
      ['u_li', '$share/g/mchat/inbox/u_zhang', false, "another employee's inbox as a shared subscription"],
    ];

    it.each(SUBSCRIBE)('%s subscribing to %s → allowed: %s (%s)', async (who, filter, allowed) => {
      const sub = clients[who].mqtt.subscribeAsync(filter, { qos: 1 });
      if (allowed) {
        const granted = await sub;
        expect(granted.map((g) => g.qos)).toEqual([1]);
      } else {
        await expect(sub).rejects.toThrow(/Subscribe error/);
      }
      expect(clients[who].mqtt.connected).toBe(true);
    });
  });

  describe('the ACL matrix: publish', () => {
    // [who, topic ("{seq}" becomes a fresh ULID), allowed, relation].
    const PUBLISH: [Who, string, boolean, string][] = [
      ['u_li', 'mchat/msg/req/{seq}', true, 'a request'],
      ['u_wang', 'mchat/msg/req/{seq}', true, 'a request, as admin'],
      ['u_zhang', 'mchat/status/u_zhang', true, 'own status'],
      ['u_wang', 'mchat/status/u_wang', true, 'own status, as admin'],
      ['u_li', 'mchat/status/u_zhang', false, "another employee's status"],
      ['u_wang', 'mchat/status/u_zhang', false, "another employee's status, as admin"],
      ['u_wang', 'mchat/admin/cmd', true, 'an admin command, as admin'],
      ['u_li', 'mchat/admin/cmd', false, 'an admin command, as member'],
      ['u_li', 'mchat/inbox/u_li', false, 'own inbox'],
      ['u_li', 'mchat/inbox/u_zhang', false, "another employee's inbox"],
      ['u_wang', 'mchat/inbox/u_li', false, "another employee's inbox, as admin"],
      ['u_li', 'mchat/msg/resp/u_li:test/{seq}', false, 'own response topic'],
      ['u_li', 'mchat/msg/resp/u_zhang:test/{seq}', false, "another employee's response topic"],
      ['u_wang', 'mchat/msg/resp/u_li:test/{seq}', false, "another employee's response topic, as admin"],
      ['u_li', 'mchat/msg/req/{seq}/extra', false, 'a request topic with an extra level'],
      ['u_li', 'mchat/group/g_sales', false, 'a group it is a member of'],
      ['u_zhang', 'mchat/group/g_sales', false, 'a group it is not a member of'],
      ['u_wang', 'mchat/group/g_sales', false, 'a group it is a member of, as admin'],
      ['u_li', 'mchat/profile/u_li', false, 'own profile'],
      ['u_li', 'mchat/profile/u_zhang', false, "another employee's profile"],
      ['u_wang', 'mchat/profile/u_li', false, "another employee's profile, as admin"],
      ['u_li', 'mchat/org/tree', false, 'the org tree'],
      ['u_wang', 'mchat/org/tree', false, 'the org tree, as admin'],
      ['u_li', 'mchat/system/notify', false, 'system notices'],
      ['u_wang', 'mchat/system/notify', false, 'system notices, as admin'],
      ['u_li', 'mchat/agent/capability/order_lookup', false, 'a skill'],
      ['u_wang', 'mchat/agent/capability/order_lookup', false, 'a skill, as admin'],
      ['u_li', 'mchat/ingress/req/u_zhang:test/{seq}', false, 'the EMQX ingress relay (request)'],
      ['u_li', 'mchat/ingress/admin/u_wang:test', false, 'the EMQX ingress relay (admin command)'],
      ['u_li', 'mchat/elsewhere', false, 'a topic of no kind'],
      ['u_li', '$SYS/forged/heartbeat', false, 'broker internals'],
    ];

    /** What a real client would send there: an envelope on request-like topics, a presence on status. */
    function payloadFor(sender: TestClient, topic: string, tag: string): { payload: string; qos: 0 | 1 | 2 } {
      const kind = parseTopic(topic)?.kind;
      const envelope = (op: string, payload: Record<string, unknown>) =>
        JSON.stringify({ v: 1, seq_id: tag, client_id: sender.clientId, op, payload, ts: Date.now() });
      if (kind === 'adminCmd') return { payload: envelope('admin.department.create', { id: `dep_${tag}`, name: 'By command' }), qos: 2 };
      if (kind === 'status') return { payload: JSON.stringify({ state: 'away', ts: Date.now(), tag }), qos: 0 };
      if (topic.includes('/req/')) return { payload: envelope('conv.list', {}), qos: 1 };
      return { payload: JSON.stringify({ v: 1, type: 'notify', kind: 'forged', text: tag }), qos: 1 };
    }

    beforeAll(async () => {
      // Someone watching everyone's status, as the web app does.
      await clients.u_li.mqtt.subscribeAsync('mchat/status/+', { qos: 0 });
    });

    it.each(PUBLISH)('%s publishing on %s → allowed: %s (%s)', async (who, template, allowed) => {
      const sender = clients[who];
      const tag = ulid();
      const topic = template.replace('{seq}', tag);
      const { payload, qos } = payloadFor(sender, topic, tag);
      const kind = parseTopic(topic)?.kind;
      const respTopic = `mchat/msg/resp/${sender.clientId}/${tag}`;
      const response = allowed && (kind === 'req' || kind === 'adminCmd') ? sender.waitFor((r) => r.topic === respTopic) : undefined;

      await sender.mqtt.publishAsync(topic, payload, { qos, retain: kind === 'status' || topic.includes('profile') || topic.includes('tree') });

      if (allowed && kind === 'status') {
        // The gateway takes it as how that device is and publishes the employee's status itself.
        await clients.u_li.waitFor((r) => r.topic === topic && (r.json as { state?: string }).state === 'away');
        expect(observer.saw(tag), 'the client’s own status document reached a subscriber').toBe(false);
      } else if (allowed) {
        await observer.waitFor((m) => m.topic === topic && m.text.includes(tag));
        if (response) expect(((await response).json as ResponseEnvelope).ok).toBe(true);
        if (kind === 'adminCmd') expect(await stack.m.Department.exists({ id: `dep_${tag}` })).toBeTruthy();
      } else {
        await marker(sender);
        expect(observer.saw(tag), 'the refused publish reached a subscriber').toBe(false);
        expect(sender.received.some((r) => r.topic === respTopic), 'a refused request was answered').toBe(false);
        if (kind === 'adminCmd') {
          expect(await stack.m.Department.exists({ id: `dep_${tag}` })).toBeFalsy();
          expect(await stack.m.Audit.countDocuments({ target: `dep_${tag}` })).toBe(0);
        }
      }
      // A refused publish never costs the connection.
      expect(sender.mqtt.connected).toBe(true);
    });
  });

  describe('login and CONNECT refusals', () => {
    const login = (employee_id: string, password: string) =>
      fetch(`${stack.httpUrl}/api/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ employee_id, password }),
      });

    it('refuses a wrong password and an unknown employee alike (401, same body), and a disabled employee', async () => {
      const wrong = await login('u_li', 'not-the-password');
      const unknown = await login('u_nobody', DEMO_PASSWORD);
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      const body = await wrong.json();
      expect(body).toMatchObject({ error: { code: 'E_AUTH' } });
      expect(await unknown.json()).toEqual(body);

      await clients.u_wang.ok('admin.employee.create', { id: 'u_gone', name: 'Gone Soon', password: 'gone-password-1' });
      expect((await login('u_gone', 'gone-password-1')).status).toBe(200);
      await clients.u_wang.ok('admin.employee.disable', { id: 'u_gone', reason: 'left' });
      const disabled = await login('u_gone', 'gone-password-1');
      expect(disabled.status).toBe(401);
      expect(await disabled.json()).toEqual(body);
    });

    it('an AI agent has no password to log in with', async () => {
      const res = await login('a_sales', DEMO_PASSWORD);
      expect(res.status).toBe(401);
    });

    it('every employee id an admin can create can also be used to connect (client id `{employee_id}:{device}`)', async () => {
      // Employee ids may contain ":" (ID_PATTERN), but a client id must have exactly one ":".
      const id = 'u_colon:ops';
      const res = await clients.u_wang.request('admin.employee.create', { id, name: 'Colon Person', password: 'colon-password-1' });
      if (!res.ok) {
        expect(res.error).toMatchObject({ code: 'E_SCHEMA', field: 'payload.id' });
        return;
      }
      const token = await stack.login(id, 'colon-password-1');
      const c = await tryConnect(stack.mqttUrl, { username: id, password: token, clientId: `${id}:laptop` });
      await c.endAsync();
    });

    type Creds = { username?: string; password?: string; clientId: string };
    const sign = (secret: string, sub: string, exp: number, issuer = 'mchat') =>
      new SignJWT({ role: 'member' }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(issuer)
        .setIssuedAt(exp - 3_600).setExpirationTime(exp).sign(new TextEncoder().encode(secret));
    const now = () => Math.floor(Date.now() / 1000);

    // [case, credentials]; each must be refused at CONNECT.
    const REFUSED: [string, (s: Stack, t: Record<Who, string>) => Promise<Creds> | Creds][] = [
      ["another employee's token (username ≠ token subject)", (_s, t) => ({ username: 'u_li', password: t.u_zhang, clientId: 'u_li:x' })],
      ['a client id of another employee', (_s, t) => ({ username: 'u_li', password: t.u_li, clientId: 'u_zhang:x' })],
      ['a client id that only starts with the username', (_s, t) => ({ username: 'u_li', password: t.u_li, clientId: 'u_lithe:x' })],
      ['a client id without a device', (_s, t) => ({ username: 'u_li', password: t.u_li, clientId: 'u_li' })],
      ['a client id with two devices', (_s, t) => ({ username: 'u_li', password: t.u_li, clientId: 'u_li:a:b' })],
      ['an expired token', async (s) => ({ username: 'u_li', password: await sign(secretOf(s, 'MCHAT_JWT_SECRET'), 'u_li', now() - 60), clientId: 'u_li:x' })],
      ['a token from another issuer', async (s) => ({ username: 'u_li', password: await sign(secretOf(s, 'MCHAT_JWT_SECRET'), 'u_li', now() + 600, 'evil'), clientId: 'u_li:x' })],
      ['a token signed with another key', async () => ({ username: 'u_li', password: await sign('not-the-secret-of-this-gateway-0123456789', 'u_li', now() + 600), clientId: 'u_li:x' })],
      ['an unsigned token (alg none)', () => {
        const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        return { username: 'u_li', password: `${part({ alg: 'none' })}.${part({ sub: 'u_li', iss: 'mchat', exp: now() + 600 })}.`, clientId: 'u_li:x' };
      }],
      ['a garbage token', () => ({ username: 'u_li', password: 'garbage', clientId: 'u_li:x' })],
      ['the demo password instead of a token', () => ({ username: 'u_li', password: DEMO_PASSWORD, clientId: 'u_li:x' })],
      ['no password', () => ({ username: 'u_li', clientId: 'u_li:x' })],
      ['no username and no password (anonymous)', () => ({ clientId: 'u_li:x' })],
      ['an unknown employee with a well-signed token', async (s) => ({ username: 'u_nobody', password: await sign(secretOf(s, 'MCHAT_JWT_SECRET'), 'u_nobody', now() + 600), clientId: 'u_nobody:x' })],
      ['a disabled employee with a well-signed token', async (s) => ({ username: 'u_gone', password: await sign(secretOf(s, 'MCHAT_JWT_SECRET'), 'u_gone', now() + 600), clientId: 'u_gone:x' })],
      ['svc@gateway with a wrong secret', () => ({ username: 'svc@gateway', password: 'wrong-secret', clientId: 'svc@gateway:x' })],
      ['svc@worker with a login token', (_s, t) => ({ username: 'svc@worker', password: t.u_wang, clientId: 'svc@worker:x' })],
    ];

    it.each(REFUSED)('refuses %s', async (_name, creds) => {
      const c = await creds(stack, tokens);
      const attempt = tryConnect(stack.mqttUrl, c);
      await expect(attempt).rejects.toThrow(/Connection refused/);
      // docs/protocol.md: refused at CONNECT with return code 4.
      await expect(attempt).rejects.toMatchObject({ code: 4 });
    });

    it('accepts the controls: own token, a freshly crafted valid token, the service secret', async () => {
      const crafted = await sign(secretOf(stack, 'MCHAT_JWT_SECRET'), 'u_li', now() + 600);
      const ok = await Promise.all([
        tryConnect(stack.mqttUrl, { username: 'u_li', password: tokens.u_li, clientId: 'u_li:control' }),
        tryConnect(stack.mqttUrl, { username: 'u_li', password: crafted, clientId: 'u_li:crafted' }),
        tryConnect(stack.mqttUrl, { username: 'svc@worker', password: secretOf(stack, 'MCHAT_SERVICE_SECRET'), clientId: 'svc@worker:control' }),
      ]);
      for (const c of ok) {
        expect(c.connected).toBe(true);
        await c.endAsync();
      }
    });
  });

  describe('membership and account changes apply to live connections', () => {
    it('a new member may subscribe at once and receives the group; once removed, it stops at once on the same connection', async () => {
      const admin = clients.u_wang;
      const li = clients.u_li; // subscribed to mchat/group/g_sales by the matrix
      await li.mqtt.subscribeAsync('mchat/group/g_sales', { qos: 1 });
      const zhang = await TestClient.connect(stack.mqttUrl, 'u_zhang', tokens.u_zhang, 'live');
      try {
        await expect(zhang.mqtt.subscribeAsync('mchat/group/g_sales', { qos: 1 })).rejects.toThrow(/Subscribe error/);

        await admin.ok('admin.group.add_members', { id: 'g_sales', members: ['u_zhang'] });
        await zhang.waitFor((r) => r.topic === 'mchat/inbox/u_zhang' && (r.json as { kind?: string }).kind === 'group_joined');
        const granted = await zhang.mqtt.subscribeAsync('mchat/group/g_sales', { qos: 1 });
        expect(granted.map((g) => g.qos)).toEqual([1]);
        const hello = `welcome ${ulid()}`;
        await li.ok('msg.send', { to: { group: 'g_sales' }, client_msg_id: ulid(), body: { text: hello } });
        await zhang.waitFor(isGroupMessage(hello));

        await admin.ok('admin.group.remove_members', { id: 'g_sales', members: ['u_zhang'] });
        await zhang.waitFor((r) => r.topic === 'mchat/inbox/u_zhang' && (r.json as { kind?: string }).kind === 'group_left');
        const after = `after removal ${ulid()}`;
        await li.ok('msg.send', { to: { group: 'g_sales' }, client_msg_id: ulid(), body: { text: after } });
        await li.waitFor(isGroupMessage(after)); // the marker: members still get it
        await sleep(NOT_ARRIVING_MS);
        expect(zhang.received.some(isGroupMessage(after)), 'a removed member still received the group').toBe(false);
        // And a new subscription is refused again; the connection stays.
        await expect(zhang.mqtt.subscribeAsync('mchat/group/g_sales', { qos: 1 })).rejects.toThrow(/Subscribe error/);
        expect(zhang.mqtt.connected).toBe(true);
      } finally {
        await zhang.close();
      }
    });

    describe('persistent sessions (clean: false), as devices use them', () => {
      // Someone with no other connection, so nothing else keeps their memberships loaded.
      const opts = { username: 'u_sess', clientId: 'u_sess:phone', clean: false };
      let token: string;
      const texts: string[] = [];
      const until = async (text: string) => {
        for (let i = 0; i < 100 && !texts.includes(text); i++) await sleep(50);
        return texts.includes(text);
      };
      const sendToGroup = async (prefix: string) => {
        const text = `${prefix} ${ulid()}`;
        await clients.u_li.ok('msg.send', { to: { group: 'g_sales' }, client_msg_id: ulid(), body: { text } });
        return text;
      };
      // The listener goes on before CONNACK: a session's queued messages follow it at once.
      const connect = async () => {
        const c = mqtt.connect(stack.mqttUrl, { ...opts, password: token, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000 });
        extra.push(c);
        c.on('message', (topic, payload) => {
          if (topic === 'mchat/group/g_sales') texts.push((JSON.parse(payload.toString()) as { msg: { body: { text: string } } }).msg.body.text);
        });
        await new Promise<void>((resolve, reject) => {
          c.once('connect', () => resolve());
          c.once('error', reject);
        });
        return c;
      };

      beforeAll(async () => {
        await clients.u_wang.ok('admin.employee.create', { id: 'u_sess', name: 'Session Keeper', password: 'session-password-1' });
        await clients.u_wang.ok('admin.group.add_members', { id: 'g_sales', members: ['u_sess'] });
        token = await stack.login('u_sess', 'session-password-1');
        await clients.u_li.mqtt.subscribeAsync('mchat/group/g_sales', { qos: 1 });
      });

      it('a member keeps receiving its group after reconnecting, including what was sent while away', async () => {
        const first = await connect();
        await first.subscribeAsync('mchat/group/g_sales', { qos: 1 });
        const online = await sendToGroup('while online');
        expect(await until(online)).toBe(true);
        await first.endAsync();

        const away = await sendToGroup('while away');
        // Same device, same session: the broker kept the subscription and the message sent meanwhile.
        const again = await connect();
        const back = await sendToGroup('after reconnect');
        const [gotAway, gotBack] = [await until(away), await until(back)];
        expect({ gotAway, gotBack }).toEqual({ gotAway: true, gotBack: true });
        await again.endAsync();
      });

      it('a member removed while away gets nothing of the group on reconnecting, and stays connected', async () => {
        await clients.u_wang.ok('admin.group.remove_members', { id: 'g_sales', members: ['u_sess'] });
        const whileRemoved = await sendToGroup('while removed');
        const again = await connect();
        const after = await sendToGroup('after removal');
        await clients.u_li.waitFor(isGroupMessage(after)); // the marker: members still get it
        await sleep(NOT_ARRIVING_MS);
        expect(texts).not.toContain(whileRemoved);
        expect(texts).not.toContain(after);
        expect(again.connected).toBe(true);
        await again.endAsync();
      });
    });

    it('disabling an employee drops their live connection; they can no longer log in or reconnect', async () => {
      const password = 'temp-password-1';
      await clients.u_wang.ok('admin.employee.create', { id: 'u_temp', name: 'Temp Worker', password });
      const token = await stack.login('u_temp', password);
      const temp = await TestClient.connect(stack.mqttUrl, 'u_temp', token, 'test');
      const browser = await TestClient.connect(stack.wsUrl, 'u_temp', token, 'web');
      expect((await temp.request('conv.list', {})).ok).toBe(true);
      const closed = [temp, browser].map((c) => new Promise<void>((resolve) => c.mqtt.once('close', () => resolve())));

      await clients.u_wang.ok('admin.employee.disable', { id: 'u_temp', reason: 'contract ended' });
      await Promise.all(closed);
      temp.mqtt.end(true);
      browser.mqtt.end(true);

      await expect(stack.login('u_temp', password)).rejects.toThrow(/401/);
      await expect(tryConnect(stack.mqttUrl, { username: 'u_temp', password: token, clientId: 'u_temp:test' })).rejects.toThrow(/Connection refused/);
      const me = await fetch(`${stack.httpUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(401);
    });
  });

  describe('admin-only ops', () => {
    it.each(Object.keys(adminPayloads))('a member sending %s gets E_FORBIDDEN, and the refusal is audited', async (op) => {
      const res = await clients.u_li.request(op, { id: 'u_zhang', members: ['u_li'], name: 'x', password: 'whatever-1' });
      expect(errorOf(res).code).toBe('E_FORBIDDEN');
      const entry = await stack.m.Audit.findOne({ actor: 'u_li', op }, { _id: 0 }).lean<AuditEntry>();
      expect(entry).toMatchObject({ actor: 'u_li', op, ok: false, via: 'mqtt', error: { code: 'E_FORBIDDEN' } });
    });

    it('an admin command on mchat/admin/cmd (QoS 2) is answered on the response topic; a member’s is dropped', async () => {
      const send = async (c: TestClient) => {
        const seq_id = ulid();
        const id = `dep_${seq_id}`;
        const envelope = { v: 1, seq_id, client_id: c.clientId, op: 'admin.department.create', payload: { id, name: 'Via cmd' }, ts: Date.now() };
        await c.mqtt.publishAsync('mchat/admin/cmd', JSON.stringify(envelope), { qos: 2 });
        return { seq_id, id, respTopic: `mchat/msg/resp/${c.clientId}/${seq_id}` };
      };

      const byAdmin = await send(clients.u_wang);
      const answer = await clients.u_wang.waitFor((r) => r.topic === byAdmin.respTopic);
      expect(answer.json).toMatchObject({ ok: true, seq_id: byAdmin.seq_id, result: { department: { id: byAdmin.id } } });
      expect(await stack.m.Audit.findOne({ op: 'admin.department.create', target: byAdmin.id }).lean()).toMatchObject({ actor: 'u_wang', ok: true, via: 'mqtt' });

      const byMember = await send(clients.u_li);
      await marker(clients.u_li);
      expect(clients.u_li.received.some((r) => r.topic === byMember.respTopic)).toBe(false);
      expect(observer.saw(byMember.seq_id)).toBe(false);
      expect(await stack.m.Department.exists({ id: byMember.id })).toBeFalsy();
      expect(await stack.m.Audit.countDocuments({ target: byMember.id })).toBe(0);
    });
  });
});
