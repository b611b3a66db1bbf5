import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLinks } from '../gateway/files.js';
import { directConversationId, type ConversationSummary, type Event, type Message } from '../schemas/index.js';
import { TestClient, errorOf } from './client.js';
import { startStack, type Stack } from './stack.js';

const MAX_UPLOAD = 1024 * 1024;
const TTL = 600;

interface Uploaded {
  object_id: string;
  name: string;
  size: number;
  type: string;
  sha256: string;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('files in messages: upload, send, download by signed link', () => {
  let stack: Stack;
  let li: TestClient;
  let zhang: TestClient;
  let wang: TestClient;
  let tokens: Record<string, string>;
  const serviceSecret = randomBytes(32).toString('base64url');
  const links = new FileLinks(serviceSecret, TTL);
  const direct = directConversationId('u_li', 'u_zhang');
  const data = randomBytes(300_000);
  let upload: Uploaded;
  let delivered: Message;

  const objectsDir = () => join(stack.env.MCHAT_DATA_DIR!, 'objects');
  /** Every file in the object store, temporary ones included. */
  const objects = () => (existsSync(objectsDir()) ? readdirSync(objectsDir(), { recursive: true, encoding: 'utf8' }).filter((f) => f.includes('/')) : []);

  async function uploadAs(employee: string, body: Uint8Array, name: string, type = 'application/octet-stream'): Promise<Response> {
    return fetch(`${stack.httpUrl}/api/files?${new URLSearchParams({ name })}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[employee]}`, 'content-type': type },
      body,
    });
  }

  async function download(url: string): Promise<Response> {
    return fetch(new URL(url, stack.httpUrl));
  }

  const attachmentOf = (u: Uploaded) => ({ name: u.name, size: u.size, type: u.type, sha256: u.sha256, object_id: u.object_id });
  const sendFile = (c: TestClient, to: Record<string, string>, attachments: unknown[], text = 'see attached') =>
    c.request('msg.send', { to, client_msg_id: ulid(), body: { text, attachments } });

  beforeAll(async () => {
    stack = await startStack({ env: { MCHAT_SERVICE_SECRET: serviceSecret, MCHAT_MAX_UPLOAD_BYTES: String(MAX_UPLOAD), MCHAT_LINK_TTL_SECONDS: String(TTL) } });
    const ids = ['u_li', 'u_zhang', 'u_wang'];
    tokens = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await stack.login(id)] as const)));
    const connect = (id: string) => TestClient.connect(stack.mqttUrl, id, tokens[id]!);
    [li, zhang, wang] = await Promise.all([connect('u_li'), connect('u_zhang'), connect('u_wang')]);
    await wang.mqtt.subscribeAsync('mchat/group/g_sales', { qos: 1 });
  });
  afterAll(async () => {
    await Promise.all([li?.close(), zhang?.close(), wang?.close()]);
    await stack?.stop();
  });

  it('uploads a file to the object store and answers what it stored', async () => {
    const res = await uploadAs('u_li', data, 'Q3 report.pdf', 'application/pdf');
    expect(res.status).toBe(200);
    upload = (await res.json()) as Uploaded;
    expect(upload).toEqual({ object_id: expect.any(String), name: 'Q3 report.pdf', size: data.length, type: 'application/pdf', sha256: sha(data) });
    expect(objects()).toHaveLength(1);
    expect(await stack.m.File.findOne({ object_id: upload.object_id }, { _id: 0 }).lean()).toMatchObject({ owner: 'u_li', size: data.length, sha256: sha(data) });
  });

  it('a message with the attachment reaches the recipient with a signed link that downloads the exact bytes', async () => {
    const sent = await sendFile(li, { direct: 'u_zhang' }, [attachmentOf(upload)]);
    if (!sent.ok) throw new Error(JSON.stringify(sent.error));
    const { msg_id } = sent.result as { msg_id: string };
    const event = await zhang.waitFor((r) => (r.json as Event).type === 'message' && (r.json as { msg: Message }).msg.msg_id === msg_id);
    delivered = (event.json as { msg: Message }).msg;
    expect(delivered.kind).toBe('file');
    const [a] = delivered.body.attachments;
    expect(a).toMatchObject({ ...attachmentOf(upload), url: expect.stringMatching(/^\/api\/files\/[0-9A-Z]{26}\?exp=\d+&sig=[\w-]{43}$/) });
    const exp = Number(new URL(a!.url!, stack.httpUrl).searchParams.get('exp'));
    expect(Math.abs(exp - (Date.now() / 1000 + TTL))).toBeLessThan(30);

    const res = await download(a!.url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="Q3 report.pdf"');
    expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(upload.sha256);
  });

  it('stores the object id, never a link', async () => {
    const stored = await stack.m.Message.findOne({ msg_id: delivered.msg_id }, { _id: 0 }).lean<Message>();
    expect(stored!.body.attachments).toEqual([attachmentOf(upload)]);
  });

  it('an expired or tampered link is 403 E_FORBIDDEN', async () => {
    const url = new URL(delivered.body.attachments[0]!.url!, stack.httpUrl);
    const expired = links.url(upload.object_id, Math.floor(Date.now() / 1000) - 1);
    const tampered = new URL(url);
    const sig = tampered.searchParams.get('sig')!;
    tampered.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    const longer = new URL(url);
    longer.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600));
    for (const bad of [expired, tampered.href, longer.href]) {
      const res = await download(bad);
      expect(res.status, bad).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('E_FORBIDDEN');
    }
    // The gateway's own link still works: the failures were the changes.
    expect((await download(url.href)).status).toBe(200);
  });

  it('msg.history, msg.sync and conv.list hand out fresh links', async () => {
    const deliveredExp = Number(new URL(delivered.body.attachments[0]!.url!, stack.httpUrl).searchParams.get('exp'));
    await new Promise((r) => setTimeout(r, 1_100));
    const { messages } = await zhang.ok<{ messages: Message[] }>('msg.history', { conversation_id: direct });
    const fromHistory = messages.find((m) => m.msg_id === delivered.msg_id)!.body.attachments[0]!;
    expect(fromHistory).toMatchObject(attachmentOf(upload));
    expect(Number(new URL(fromHistory.url!, stack.httpUrl).searchParams.get('exp'))).toBeGreaterThan(deliveredExp);
    expect(sha(new Uint8Array(await (await download(fromHistory.url!)).arrayBuffer()))).toBe(upload.sha256);

    const synced = await zhang.ok<{ messages: Message[] }>('msg.sync', { cursors: {} });
    const fromSync = synced.messages.find((m) => m.msg_id === delivered.msg_id)!.body.attachments[0]!;
    expect((await download(fromSync.url!)).status).toBe(200);

    const { conversations } = await zhang.ok<{ conversations: ConversationSummary[] }>('conv.list', {});
    const last = conversations.find((c) => c.conversation_id === direct)!.last_message!;
    expect(last.msg_id).toBe(delivered.msg_id);
    expect((await download(last.body.attachments[0]!.url!)).status).toBe(200);
  });

  it('a group message is published once, with links, to the group topic', async () => {
    const body = Buffer.from('agenda: 1. numbers 2. more numbers\n');
    const up = (await (await uploadAs('u_li', body, 'agenda.txt', 'text/plain')).json()) as Uploaded;
    const sent = await sendFile(li, { group: 'g_sales' }, [attachmentOf(up)], 'agenda');
    const { msg_id } = (sent.ok ? sent.result : {}) as { msg_id: string };
    const event = await wang.waitFor((r) => r.topic === 'mchat/group/g_sales' && (r.json as { msg?: Message }).msg?.msg_id === msg_id);
    const url = (event.json as { msg: Message }).msg.body.attachments[0]!.url!;
    expect(await (await download(url)).text()).toBe(body.toString());
  });

  it('an upload over MCHAT_MAX_UPLOAD_BYTES is 413 E_TOO_LARGE and nothing is kept', async () => {
    const before = { objects: objects(), files: await stack.m.File.countDocuments() };
    const res = await uploadAs('u_li', randomBytes(MAX_UPLOAD + 1), 'too-big.bin');
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('E_TOO_LARGE');
    // Exactly the limit is fine (and then removed again, to compare).
    const exact = (await (await uploadAs('u_li', randomBytes(MAX_UPLOAD), 'just-fits.bin')).json()) as Uploaded;
    expect(exact.size).toBe(MAX_UPLOAD);
    await stack.m.File.deleteOne({ object_id: exact.object_id });
    const kept = objects().filter((f) => !f.endsWith(exact.object_id));
    expect({ objects: kept, files: await stack.m.File.countDocuments() }).toEqual(before);
  });

  it('msg.send refuses attachments that are not an upload of the sender', async () => {
    const theirs = (await (await uploadAs('u_zhang', Buffer.from('zhang only'), 'mine.txt', 'text/plain')).json()) as Uploaded;
    const before = await stack.m.Message.countDocuments({ conversation_id: direct });

    // Someone else's upload, even with its right hash, and an upload that does not exist look the same.
    expect(errorOf(await sendFile(li, { direct: 'u_zhang' }, [attachmentOf(theirs)]))).toMatchObject({
      code: 'E_NOT_FOUND', field: 'payload.body.attachments.0.object_id',
    });
    expect(errorOf(await sendFile(li, { direct: 'u_zhang' }, [{ ...attachmentOf(upload), object_id: ulid() }])).code).toBe('E_NOT_FOUND');
    // Metadata with no upload behind it.
    const { object_id: _o, ...bare } = attachmentOf(upload);
    expect(errorOf(await sendFile(li, { direct: 'u_zhang' }, [bare]))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.body.attachments.0.object_id' });
    // The sender's own upload, but not the hash it has.
    expect(errorOf(await sendFile(li, { direct: 'u_zhang' }, [{ ...attachmentOf(upload), sha256: sha(Buffer.from('other')) }]))).toMatchObject({
      code: 'E_CONFLICT', field: 'payload.body.attachments.0.sha256',
    });
    expect(await stack.m.Message.countDocuments({ conversation_id: direct })).toBe(before);

    // A link given by the client is dropped; size and type come from the upload.
    const ok = await sendFile(li, { direct: 'u_zhang' }, [{ ...attachmentOf(upload), size: 1, type: 'text/html', url: 'https://evil.invalid/x' }]);
    const { msg_id } = (ok.ok ? ok.result : {}) as { msg_id: string };
    const stored = await stack.m.Message.findOne({ msg_id }, { _id: 0 }).lean<Message>();
    expect(stored!.body.attachments).toEqual([attachmentOf(upload)]);
  });
});
