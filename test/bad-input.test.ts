import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { startStack, type Stack } from './stack.js';
import { TestClient, errorOf } from './client.js';

describe('bad input gets a clear error on the caller’s response topic and never hurts the gateway', () => {
  let stack: Stack;
  let li: TestClient;
  let zhang: TestClient;
  const envelope = (seq_id: string, over: Record<string, unknown> = {}) =>
    JSON.stringify({ v: 1, seq_id, client_id: li.clientId, op: 'msg.send', payload: {}, ...over });

  beforeAll(async () => {
    stack = await startStack();
    li = await TestClient.connect(stack.mqttUrl, 'u_li', await stack.login('u_li'));
    zhang = await TestClient.connect(stack.mqttUrl, 'u_zhang', await stack.login('u_zhang'));
  });
  afterAll(async () => {
    await Promise.all([li?.close(), zhang?.close()]);
    await stack?.stop();
  });

  it('malformed JSON → E_SCHEMA', async () => {
    const err = errorOf(await li.requestRaw(ulid(), '{"v":1, "op": '));
    expect(err).toMatchObject({ code: 'E_SCHEMA', message: expect.stringContaining('JSON') });
  });

  it('an envelope without op → E_SCHEMA naming the field', async () => {
    const seq = ulid();
    const err = errorOf(await li.requestRaw(seq, JSON.stringify({ v: 1, seq_id: seq, client_id: li.clientId, payload: {} })));
    expect(err).toMatchObject({ code: 'E_SCHEMA', field: 'op' });
  });

  it('a protocol version it does not speak → E_SCHEMA on v', async () => {
    const seq = ulid();
    expect(errorOf(await li.requestRaw(seq, envelope(seq, { v: 2 })))).toMatchObject({ code: 'E_SCHEMA', field: 'v' });
  });

  it('seq_id differing from the topic → E_SCHEMA on seq_id', async () => {
    const err = errorOf(await li.requestRaw(ulid(), envelope('someone-else')));
    expect(err).toMatchObject({ code: 'E_SCHEMA', field: 'seq_id' });
  });

  it('a client_id that is not the connection’s → E_SCHEMA on client_id; the sender is never taken from the payload', async () => {
    const seq = ulid();
    const err = errorOf(await li.requestRaw(seq, envelope(seq, { client_id: 'u_zhang:test' })));
    expect(err).toMatchObject({ code: 'E_SCHEMA', field: 'client_id' });
  });

  it('an unknown op → E_NOT_FOUND on op', async () => {
    const seq = ulid();
    expect(errorOf(await li.requestRaw(seq, envelope(seq, { op: 'msg.teleport' })))).toMatchObject({ code: 'E_NOT_FOUND', field: 'op' });
  });

  it('a payload failing its schema → E_SCHEMA naming the nested field', async () => {
    const res = await li.request('msg.send', { to: { direct: 'u_zhang' }, client_msg_id: ulid(), body: { text: 42 } });
    expect(errorOf(res)).toMatchObject({ code: 'E_SCHEMA', field: 'payload.body.text', message: expect.stringContaining('payload.body.text') });
  });

  it('a payload over the size limit → E_TOO_LARGE, nothing stored', async () => {
    const before = await stack.m.Message.countDocuments();
    const res = await li.request('msg.send', { to: { direct: 'u_zhang' }, client_msg_id: ulid(), body: { text: 'x'.repeat(70_000) } });
    expect(errorOf(res).code).toBe('E_TOO_LARGE');
    expect(await stack.m.Message.countDocuments()).toBe(before);
  });

  it('an unknown recipient → E_NOT_FOUND; a group one is not in → E_FORBIDDEN; nothing stored', async () => {
    const before = await stack.m.Message.countDocuments();
    const unknown = await li.request('msg.send', { to: { direct: 'u_nobody' }, client_msg_id: ulid(), body: { text: 'hi' } });
    expect(errorOf(unknown)).toMatchObject({ code: 'E_NOT_FOUND', field: 'payload.to.direct' });
    const notMember = await zhang.request('msg.send', { to: { group: 'g_sales' }, client_msg_id: ulid(), body: { text: 'hi' } });
    expect(errorOf(notMember)).toMatchObject({ code: 'E_FORBIDDEN', field: 'payload.to.group' });
    const history = await zhang.request('msg.history', { conversation_id: 'g:g_sales' });
    expect(errorOf(history).code).toBe('E_FORBIDDEN');
    expect(await stack.m.Message.countDocuments()).toBe(before);
  });

  it('a publish on a forbidden topic is dropped and logged, and the connection stays usable', async () => {
    await li.mqtt.publishAsync('mchat/inbox/u_zhang', JSON.stringify({ v: 1, type: 'message', forged: true }), { qos: 1 });
    await li.mqtt.publishAsync('mchat/status/u_zhang', JSON.stringify({ state: 'offline', ts: Date.now() }), { qos: 0 });
    const sent = await li.ok<{ seq: number }>('msg.send', { to: { direct: 'u_zhang' }, client_msg_id: ulid(), body: { text: 'after' } });
    await zhang.waitFor((r) => (r.json as { msg?: { body: { text?: string } } }).msg?.body.text === 'after');
    expect(zhang.received.some((r) => (r.json as { forged?: boolean }).forged)).toBe(false);
    expect(sent.seq).toBeGreaterThan(0);
    expect(li.mqtt.connected).toBe(true);
  });

  it('logs every refusal and keeps serving', async () => {
    const health = await fetch(`${stack.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(stack.gateway.child.exitCode).toBeNull();
    const log = readFileSync(join(stack.logDir, 'gateway.log'), 'utf8');
    for (const code of ['E_SCHEMA', 'E_NOT_FOUND', 'E_FORBIDDEN', 'E_TOO_LARGE']) expect(log).toContain(`"code":"${code}"`);
    expect(log).toContain('publish denied');
  });
});

describe('HTTP API bad input', () => {
  let stack: Stack;
  beforeAll(async () => { stack = await startStack(); });
  afterAll(async () => { await stack?.stop(); });

  const post = (path: string, body: string) =>
    fetch(`${stack.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('malformed JSON → 400 E_SCHEMA', async () => {
    const res = await post('/api/login', '{"employee_id":');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'E_SCHEMA' } });
  });

  it('a wrong password and an unknown employee look the same: 401 E_AUTH', async () => {
    const wrong = await post('/api/login', JSON.stringify({ employee_id: 'u_li', password: 'nope' }));
    const unknown = await post('/api/login', JSON.stringify({ employee_id: 'u_nobody', password: 'nope' }));
    expect(wrong.status).toBe(401);
    expect(await unknown.json()).toEqual(await wrong.json());
  });

  it('an id with path tricks → 400 naming employee_id', async () => {
    const res = await post('/api/login', JSON.stringify({ employee_id: '../u_li', password: 'x' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'E_SCHEMA', field: 'employee_id' } });
  });

  it('an oversized body → 413 E_TOO_LARGE', async () => {
    const res = await post('/api/login', JSON.stringify({ employee_id: 'u_li', password: 'x'.repeat(100_000) }));
    expect(res.status).toBe(413);
  });

  it('the EMQX hooks refuse callers without the service secret', async () => {
    const res = await post('/internal/emqx/authn', JSON.stringify({ username: 'u_li', password: 'x', clientid: 'u_li:a' }));
    expect(res.status).toBe(401);
  });
});
