import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokens } from '../../lib/auth.js';
import type { FileDoc, Models } from '../../store/db.js';
import { LocalObjectStore, objectStore } from '../../store/objects.js';
import type { Message } from '../../schemas/index.js';
import { objectStoreContract } from '../../test/object-store.contract.js';
import { OpError } from '../errors.js';
import { FileLinks, ownAttachments, withLinks } from '../files.js';
import { mediaRoutes } from './media.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const SECRET = 's'.repeat(32);

describe('the local object store keeps the object store contract', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mchat-objects-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const c of objectStoreContract(new LocalObjectStore(dir))) it(c.name, () => c.run());

  it('leaves no temporary files behind', () => {
    const leftovers = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.part'));
    expect(leftovers).toEqual([]);
  });

  it('is the default, under MCHAT_DATA_DIR/objects', () => {
    const store = objectStore({
      MCHAT_OBJECT_STORE: 'local', MCHAT_DATA_DIR: dir, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: false,
      S3_ENDPOINT: undefined, S3_BUCKET: undefined, S3_ACCESS_KEY_ID: undefined, S3_SECRET_ACCESS_KEY: undefined,
    });
    expect(store).toBeInstanceOf(LocalObjectStore);
    expect((store as LocalObjectStore).dir).toBe(join(dir, 'objects'));
  });
});

describe('FileLinks', () => {
  let now = 1_764_000_000_000;
  const links = new FileLinks(SECRET, 600, () => now);

  it('signs object_id.exp and verifies its own signature until exp', () => {
    const { exp, sig } = links.sign('01OBJ');
    expect(Number(exp)).toBe(now / 1000 + 600);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(links.verify('01OBJ', exp, sig)).toBe(true);
    now += 599_000;
    expect(links.verify('01OBJ', exp, sig)).toBe(true);
    now += 1_000;
    expect(links.verify('01OBJ', exp, sig)).toBe(false);
  });

  it('refuses another object, another exp, a changed or non-canonical signature, another secret', () => {
    const { exp, sig } = links.sign('01OBJ');
    expect(links.verify('01OBJ2', exp, sig)).toBe(false);
    expect(links.verify('01OBJ', String(Number(exp) + 1), sig)).toBe(false);
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expect(links.verify('01OBJ', exp, flipped)).toBe(false);
    expect(links.verify('01OBJ', exp, `${sig}=`)).toBe(false);
    expect(links.verify('01OBJ', exp, sig.slice(0, -1))).toBe(false);
    expect(links.verify('01OBJ', exp, '')).toBe(false);
    expect(links.verify('01OBJ', `${exp}.5`, sig)).toBe(false);
    expect(links.verify('01OBJ', '1e12', sig)).toBe(false);
    expect(new FileLinks('t'.repeat(32), 600, () => now).verify('01OBJ', exp, sig)).toBe(false);
  });

  it('url() is the download path with exp and sig', () => {
    const url = new URL(links.url('01OBJ'), 'http://x');
    expect(url.pathname).toBe('/api/files/01OBJ');
    expect(links.verify('01OBJ', url.searchParams.get('exp')!, url.searchParams.get('sig')!)).toBe(true);
  });

  const message = (attachments: Message['body']['attachments']): Message => ({
    msg_id: 'm1', conversation_id: 'd:u_li:u_zhang', seq: 1, from: 'u_li', ts: 1, kind: 'file', client_msg_id: 'c1',
    body: { mentions: [], attachments },
  });
  const file = { name: 'a.pdf', size: 3, type: 'application/pdf', sha256: 'a'.repeat(64) };

  it('withLinks adds a fresh link to each upload and changes nothing else', () => {
    const msg = message([{ ...file, object_id: 'O1' }, { ...file, object_id: 'O2' }]);
    const before = structuredClone(msg);
    const out = links.withLinks(msg);
    expect(msg).toEqual(before);
    expect(out.body.attachments.map((a) => new URL(a.url!, 'http://x').pathname)).toEqual(['/api/files/O1', '/api/files/O2']);
    for (const a of out.body.attachments) {
      const u = new URL(a.url!, 'http://x');
      expect(links.verify(a.object_id!, u.searchParams.get('exp')!, u.searchParams.get('sig')!)).toBe(true);
    }
    expect({ ...out, body: { ...out.body, attachments: out.body.attachments.map(({ url: _u, ...a }) => a) } }).toEqual(before);
  });

  it('withLinks leaves messages without uploads as they are (old messages, text, no file links configured)', () => {
    const text = message([]);
    expect(links.withLinks(text)).toBe(text);
    const legacy = message([{ ...file, url: 'https://elsewhere/a.pdf' }]);
    expect(links.withLinks(legacy)).toBe(legacy);
    const upload = message([{ ...file, object_id: 'O1' }]);
    expect(withLinks({}, upload)).toBe(upload);
    expect(withLinks({ files: links }, upload).body.attachments[0]!.url).toMatch(/^\/api\/files\/O1\?exp=\d+&sig=/);
  });
});

/** Just enough of the models for media.ts: employees that exist, and the files collection in memory. */
function fakeModels(active: string[]) {
  const files = new Map<string, FileDoc>();
  const m = {
    // As the directory cache reads them: by _id, one or several.
    Employee: {
      find: (q: { _id?: string | { $in: string[] } }) => ({
        lean: async () => {
          const ids = typeof q._id === 'string' ? [q._id] : (q._id?.$in ?? []);
          return ids.filter((id) => active.includes(id)).map((id) => ({ id, status: 'active' }));
        },
      }),
    },
    File: {
      create: async (doc: FileDoc) => void files.set(doc.object_id, { ...doc }),
      findOne: (q: { object_id: string }) => ({ lean: async () => files.get(q.object_id) ?? null }),
      find: (q: { object_id: { $in: string[] }; owner: string }) => ({
        lean: async () => [...files.values()].filter((f) => q.object_id.$in.includes(f.object_id) && f.owner === q.owner),
      }),
    },
  };
  return { m: m as unknown as Models, files };
}

describe('ownAttachments (msg.send)', () => {
  const { m, files } = fakeModels(['u_li']);
  const mine: FileDoc = { object_id: 'O1', owner: 'u_li', name: 'deck.pdf', size: 10, type: 'application/pdf', sha256: 'a'.repeat(64), created_at: 1 };
  files.set('O1', mine);
  files.set('O2', { ...mine, object_id: 'O2', owner: 'u_zhang' });
  const att = { name: 'Deck v2.pdf', size: 999, type: 'text/html', sha256: mine.sha256, object_id: 'O1', url: 'https://evil/x' };

  const codeOf = async (p: Promise<unknown>) => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    return { code: (err as OpError).code, field: (err as OpError).field };
  };

  it('takes size and type from the upload, keeps the name, drops any link', async () => {
    expect(await ownAttachments(m, 'u_li', [att])).toEqual([
      { name: 'Deck v2.pdf', size: 10, type: 'application/pdf', sha256: mine.sha256, object_id: 'O1' },
    ]);
    expect(await ownAttachments(m, 'u_li', [])).toEqual([]);
  });

  it('refuses an attachment without an upload, someone else\'s upload, and a wrong hash', async () => {
    const { object_id: _o, ...noUpload } = att;
    expect(await codeOf(ownAttachments(m, 'u_li', [att, noUpload]))).toEqual({ code: 'E_SCHEMA', field: 'payload.body.attachments.1.object_id' });
    expect(await codeOf(ownAttachments(m, 'u_li', [{ ...att, object_id: 'O2' }]))).toEqual({ code: 'E_NOT_FOUND', field: 'payload.body.attachments.0.object_id' });
    expect(await codeOf(ownAttachments(m, 'u_li', [{ ...att, object_id: 'NOPE' }]))).toEqual({ code: 'E_NOT_FOUND', field: 'payload.body.attachments.0.object_id' });
    expect(await codeOf(ownAttachments(m, 'u_li', [{ ...att, sha256: 'b'.repeat(64) }]))).toEqual({ code: 'E_CONFLICT', field: 'payload.body.attachments.0.sha256' });
  });
});

describe('the /api/files routes', () => {
  const MAX = 64 * 1024;
  const dir = mkdtempSync(join(tmpdir(), 'mchat-media-'));
  const store = new LocalObjectStore(dir);
  const tokens = new Tokens('j'.repeat(32), 3600);
  const links = new FileLinks(SECRET, 600);
  const { m, files } = fakeModels(['u_li']);
  let server: Server;
  let base = '';
  let token = '';

  beforeAll(async () => {
    const app = express();
    app.use(mediaRoutes({ store, links, maxUploadBytes: MAX, m, tokens, log: pino({ level: 'silent' }) }));
    const onError: ErrorRequestHandler = (err, _req, res, _next) => void res.status(500).json({ error: { code: 'E_INTERNAL', message: String(err) } });
    app.use(onError);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    token = (await tokens.issue({ sub: 'u_li', role: 'member' })).token;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Everything in the store, temporary files included. */
  const stored = () => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => !/^[^/]{2}$/.test(f));

  const upload = (body: NonNullable<RequestInit['body']>, { name = 'notes.txt', type = 'text/plain', auth = token } = {}) =>
    fetch(`${base}/api/files?${new URLSearchParams({ name })}`, {
      method: 'POST',
      headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(type ? { 'content-type': type } : {}) },
      body,
      duplex: 'half',
    } as RequestInit);

  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  it('stores the body, hashing it, and records who uploaded what', async () => {
    const data = randomBytes(50_000);
    const res = await upload(data, { name: 'Résumé (final).pdf', type: 'application/pdf' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object_id: string; name: string; size: number; type: string; sha256: string };
    expect(body).toEqual({ object_id: expect.stringMatching(/^[0-9A-Z]{26}$/), name: 'Résumé (final).pdf', size: 50_000, type: 'application/pdf', sha256: sha(data) });
    expect(files.get(body.object_id)).toMatchObject({ owner: 'u_li', sha256: sha(data), size: 50_000 });

    const down = await fetch(`${base}${links.url(body.object_id)}`);
    expect(down.status).toBe(200);
    expect(down.headers.get('content-type')).toBe('application/pdf');
    expect(down.headers.get('content-length')).toBe('50000');
    expect(down.headers.get('content-disposition')).toBe(`attachment; filename="R?sum? (final).pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%28final%29.pdf`);
    expect(down.headers.get('x-content-type-options')).toBe('nosniff');
    expect(sha(new Uint8Array(await down.arrayBuffer()))).toBe(sha(data));
  });

  it('takes the type as given, and application/octet-stream when there is none', async () => {
    const plain = (await (await upload('hello', { type: 'text/plain; charset=utf-8' })).json()) as { object_id: string; type: string };
    expect(plain.type).toBe('text/plain; charset=utf-8');
    const down = await fetch(`${base}${links.url(plain.object_id)}`);
    expect(down.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await down.text()).toBe('hello');
    const none = (await (await upload(new Uint8Array([1, 2, 3]), { type: '' })).json()) as { type: string };
    expect(none.type).toBe('application/octet-stream');
  });

  it('streams a body of unknown length (chunked)', async () => {
    const parts = [randomBytes(20_000), randomBytes(20_000), randomBytes(10)];
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = parts.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const whole = sha(Buffer.concat([...parts]));
    const res = await upload(stream);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ size: 40_010, sha256: whole });
  });

  it('refuses a missing or bad token, a bad name and a bad type, keeping nothing', async () => {
    const before = stored().length;
    expect(await codeOf(await upload('x', { auth: '' }))).toBe('E_AUTH');
    expect(await codeOf(await upload('x', { auth: 'not-a-token' }))).toBe('E_AUTH');
    const stranger = (await tokens.issue({ sub: 'u_gone', role: 'member' })).token;
    expect(await codeOf(await upload('x', { auth: stranger }))).toBe('E_AUTH');
    expect(await codeOf(await upload('x', { name: '' }))).toBe('E_SCHEMA');
    expect(await codeOf(await upload('x', { name: 'a\nb' }))).toBe('E_SCHEMA');
    expect(await codeOf(await upload('x', { name: 'x'.repeat(256) }))).toBe('E_SCHEMA');
    expect(await codeOf(await upload('x', { type: 'not a type' }))).toBe('E_SCHEMA');
    expect(stored().length).toBe(before);
  });

  it('over the limit is 413 E_TOO_LARGE and nothing is kept, with or without Content-Length', async () => {
    const before = stored();
    const sized = await upload(randomBytes(MAX + 1));
    expect(sized.status).toBe(413);
    expect(await codeOf(sized)).toBe('E_TOO_LARGE');

    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        sent += 16_384;
        if (sent > 4 * MAX) c.close();
        else c.enqueue(randomBytes(16_384));
      },
    });
    const streamed = await upload(endless);
    expect(streamed.status).toBe(413);
    expect(await codeOf(streamed)).toBe('E_TOO_LARGE');
    expect(stored()).toEqual(before);

    // Exactly the limit is fine.
    expect((await upload(randomBytes(MAX))).status).toBe(200);
  });

  it('a download needs a valid, unexpired link: else 403 E_FORBIDDEN', async () => {
    const { object_id } = (await (await upload('secret')).json()) as { object_id: string };
    const good = new URL(links.url(object_id), base);
    expect((await fetch(good)).status).toBe(200);

    const expired = new URL(links.url(object_id, Math.floor(Date.now() / 1000) - 1), base);
    const tampered = new URL(good);
    tampered.searchParams.set('sig', links.sign(object_id, Number(good.searchParams.get('exp')) + 60).sig);
    const otherObject = new URL(`/api/files/OTHER${good.search}`, base);
    for (const url of [expired, tampered, otherObject, new URL(`/api/files/${object_id}`, base), new URL(`/api/files/${object_id}?exp=x&sig=y`, base)]) {
      const res = await fetch(url);
      expect(res.status, url.href).toBe(403);
      expect(await codeOf(res)).toBe('E_FORBIDDEN');
    }
    // A Bearer token is no substitute for the signature.
    expect((await fetch(new URL(`/api/files/${object_id}`, base), { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
  });

  it('a signed link to a file that is gone is 404', async () => {
    expect(await codeOf(await fetch(`${base}${links.url('NEVERUPLOADED')}`))).toBe('E_NOT_FOUND');
    const { object_id } = (await (await upload('short-lived')).json()) as { object_id: string };
    await store.delete(object_id);
    expect(await codeOf(await fetch(`${base}${links.url(object_id)}`))).toBe('E_NOT_FOUND');
  });
});
