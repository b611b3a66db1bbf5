import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Message } from '../schemas/index.js';
import { connectDb, models, type Models } from './db.js';
import { createLogger } from './logger.js';
import { MessageStore, type NewMessage } from './messages.js';

const log = createLogger('test', 'silent');

async function database(name: string): Promise<{ conn: Connection; m: Models }> {
  const conn = await connectDb(inject('services').mongoUrl.replace(/\/mchat$/, `/t_${name}_${Date.now()}`));
  return { conn, m: models(conn) };
}

const input = (from: string, clientMsgId: string, conversationId = 'd:u_a:u_b'): NewMessage => ({
  conversation_id: conversationId,
  members: conversationId.startsWith('d:') ? conversationId.slice(2).split(':') : [],
  from,
  kind: 'text',
  body: { text: clientMsgId, mentions: [], attachments: [] },
  client_msg_id: clientMsgId,
});

const until = async (done: () => Promise<boolean>, ms = 5_000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await done()) return true;
  return false;
};

/** Against the run's real FerretDB (SQLite), the database the goals are measured on. */
describe('MessageStore', () => {
  let conn: Connection;
  let m: Models;
  beforeAll(async () => ({ conn, m } = await database('messages')));
  afterAll(async () => {
    await conn?.dropDatabase();
    await conn?.close();
  });
  const stored = (conversationId: string) =>
    m.Message.find({ conversation_id: conversationId }, { _id: 0 }).sort({ seq: 1 }).lean<Message[]>();

  it('numbers concurrent messages 1, 2, 3… per conversation without a gap, and records each conversation once', async () => {
    const store = new MessageStore(m, log);
    const conversations = ['d:u_a:u_b', 'd:u_a:u_c', 'g:g_x'];
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => store.store(input('u_a', `c-${i}`, conversations[i % 3]!))),
    );
    expect(results.every((r) => r.created)).toBe(true);
    for (const [k, id] of conversations.entries()) {
      const rows = await stored(id);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      // Numbered in the order they were handed over.
      expect(rows.map((r) => r.client_msg_id)).toEqual(Array.from({ length: 20 }, (_, i) => `c-${3 * i + k}`));
      expect(store.knownSeq(id)).toBe(20);
    }
    expect(await m.Conversation.findOne({ conversation_id: 'd:u_a:u_c' }, { _id: 0 }).lean()).toMatchObject({ members: ['u_a', 'u_c'] });
    expect(await m.Conversation.countDocuments({ conversation_id: { $in: conversations } })).toBe(3);
    expect(await until(async () => (await m.Conversation.findOne({ conversation_id: 'g:g_x' }).lean())?.last_seq === 20, 10_000)).toBe(true);
  });

  it('answers every retry with the first result, at once or later, from this process or another, and stores once', async () => {
    const [one, two] = [new MessageStore(m, log), new MessageStore(m, log)];
    const first = await Promise.all(Array.from({ length: 5 }, () => one.store(input('u_b', 'retry-1'))));
    const later = [await one.store(input('u_b', 'retry-1')), await two.store(input('u_b', 'retry-1'))];
    const all = [...first, ...later];
    expect(all.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(all.map((r) => r.message.msg_id)).size).toBe(1);
    expect(await m.Message.countDocuments({ from: 'u_b', client_msg_id: 'retry-1' })).toBe(1);
    // The conversation goes on without a hole where the retries were refused.
    const next = await two.store(input('u_b', 'retry-2'));
    expect(next.message.seq).toBe(all[0]!.message.seq + 1);
  });

  it('lets two processes write one conversation: they collide on the seq, retry, and leave no gap', async () => {
    const [one, two] = [new MessageStore(m, log), new MessageStore(m, log)];
    const id = 'd:u_p:u_q';
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).store(input(i % 2 ? 'u_p' : 'u_q', `pq-${i}`, id))));
    const rows = await stored(id);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.client_msg_id)).size).toBe(40);
  });

  it('after a restart, continues after the true last seq however far last_seq lags, even with no conversation document', async () => {
    const id = 'd:u_r:u_s';
    const before = new MessageStore(m, log);
    for (let i = 0; i < 10; i++) await before.store(input('u_r', `r-${i}`, id));
    await m.Conversation.updateOne({ conversation_id: id }, { $set: { last_seq: 3 } });
    expect((await new MessageStore(m, log).store(input('u_r', 'r-10', id))).message.seq).toBe(11);

    await m.Conversation.deleteOne({ conversation_id: id });
    const after = new MessageStore(m, log);
    expect((await after.store(input('u_s', 's-0', id))).message.seq).toBe(12);
    expect(await m.Conversation.findOne({ conversation_id: id }, { _id: 0 }).lean()).toMatchObject({ members: ['u_r', 'u_s'] });
    expect((await stored(id)).map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });
});

describe('MessageStore on data older versions wrote', () => {
  let conn: Connection;
  let m: Models;
  const id = 'd:u_old:u_new';
  beforeAll(async () => {
    ({ conn, m } = await database('legacy'));
    // ObjectId `_id`s, and the old idempotency index.
    const messages = m.Message.collection;
    await messages.createIndex({ from: 1, client_msg_id: 1 }, { unique: true });
    await messages.insertMany([1, 2, 3].map((seq) => ({
      msg_id: `old-${seq}`, conversation_id: id, seq, from: 'u_old', ts: seq, kind: 'text',
      body: { text: `old ${seq}`, mentions: [], attachments: [] }, client_msg_id: `old-${seq}`,
    })));
    await m.Conversation.collection.insertOne({ conversation_id: id, last_seq: 3, last_ts: 3, members: ['u_new', 'u_old'] });
  });
  afterAll(async () => {
    await conn?.dropDatabase();
    await conn?.close();
  });

  it('answers a retry of an old message with it, numbers new ones after the old, and raises the old conversation document', async () => {
    const store = new MessageStore(m, log);
    const retry = await store.store(input('u_old', 'old-2', id));
    expect(retry).toMatchObject({ created: false, message: { msg_id: 'old-2', seq: 2 } });
    const fresh = await store.store(input('u_new', 'new-1', id));
    expect(fresh).toMatchObject({ created: true, message: { seq: 4 } });
    expect(await m.Message.countDocuments({ conversation_id: id })).toBe(4);
    expect(await until(async () => (await m.Conversation.find({ conversation_id: id }).lean()).map((c) => c.last_seq).join() === '4')).toBe(true);
  });
});
