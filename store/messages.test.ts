import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { Message } from '../schemas/index.js';
import type { Models } from './db.js';
import { ownDatabase, type OwnDatabase } from '../test/database.js';
import { createLogger } from '../lib/logger.js';
import { MessageStore, type NewMessage } from './messages.js';
import { SeqCounters } from './seqs.js';

const log = createLogger('test', 'silent');

const input = (from: string, clientMsgId: string, conversationId = 'd:u_a:u_b'): NewMessage => ({
  conversation_id: conversationId,
  members: conversationId.startsWith('d:') ? conversationId.slice(2).split(':') : [],
  from,
  kind: 'text',
  body: { text: clientMsgId, mentions: [], attachments: [] },
  client_msg_id: clientMsgId,
});

/** Against the run's real FerretDB (on PostgreSQL) and Redis; two stores stand for two processes. */
describe('MessageStore', () => {
  let db: OwnDatabase;
  let m: Models;
  let redis: Redis;
  const prefix = `messages-test-${Date.now()}:`;
  const stores: MessageStore[] = [];
  const newStore = () => {
    const s = new MessageStore({ m, redis, prefix, log });
    stores.push(s);
    return s;
  };
  beforeAll(async () => {
    db = await ownDatabase('messages');
    m = db.m;
    redis = new Redis(inject('services').redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    for (const s of stores) s.close();
    await db?.drop();
    await redis?.quit();
  });
  const stored = (conversationId: string) =>
    m.Message.find({ conversation_id: conversationId }, { _id: 0 }).sort({ seq: 1 }).lean<Message[]>();
  const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('numbers concurrent messages 1, 2, 3… per conversation without a gap, and records each conversation once', async () => {
    const store = newStore();
    const conversations = ['d:u_a:u_b', 'd:u_a:u_c', 'g:g_x'];
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => store.store(input('u_a', `c-${i}`, conversations[i % 3]!))),
    );
    expect(results.every((r) => r.created)).toBe(true);
    for (const [k, id] of conversations.entries()) {
      const rows = await stored(id);
      expect(rows.map((r) => r.seq)).toEqual(oneTo(20));
      // Numbered in the order they were handed over.
      expect(rows.map((r) => r.client_msg_id)).toEqual(Array.from({ length: 20 }, (_, i) => `c-${3 * i + k}`));
      expect(store.knownSeq(id)).toBe(20);
      expect(await store.counted(id)).toBe(20);
    }
    expect(await m.Conversation.findOne({ conversation_id: 'd:u_a:u_c' }, { _id: 0 }).lean()).toMatchObject({ members: ['u_a', 'u_c'] });
    expect(await m.Conversation.countDocuments({ conversation_id: { $in: conversations } })).toBe(3);
  });

  it('answers every retry with the first result, at once or later, from this process or another, and stores once', async () => {
    const [one, two] = [newStore(), newStore()];
    const first = await Promise.all(Array.from({ length: 5 }, () => one.store(input('u_b', 'retry-1'))));
    const later = [await one.store(input('u_b', 'retry-1')), await two.store(input('u_b', 'retry-1'))];
    const all = [...first, ...later];
    expect(all.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(all.map((r) => r.message.msg_id)).size).toBe(1);
    expect(await m.Message.countDocuments({ from: 'u_b', client_msg_id: 'retry-1' })).toBe(1);
    // The seqs the later retries reserved were handed back: the conversation goes on without a hole.
    const next = await two.store(input('u_b', 'retry-2'));
    expect(next.message.seq).toBe(all[0]!.message.seq + 1);
  });

  it('lets two processes write one conversation at once from one counter: no collision, no gap', async () => {
    const [one, two] = [newStore(), newStore()];
    const id = 'd:u_p:u_q';
    const inserts = vi.spyOn(m.Message.collection, 'insertMany');
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).store(input(i % 2 ? 'u_p' : 'u_q', `pq-${i}`, id))));
    const rows = await stored(id);
    expect(rows.map((r) => r.seq)).toEqual(oneTo(40));
    expect(new Set(rows.map((r) => r.client_msg_id)).size).toBe(40);
    // Every insert went through first time: the counter, not the index, numbered them.
    const refused = await Promise.all(inserts.mock.results.map((r) => (r.value as Promise<unknown>).then(() => false, () => true)));
    inserts.mockRestore();
    expect(refused.filter(Boolean)).toEqual([]);
  });

  it('seeds a counter Redis lost from the newest stored seq, and skips past messages a lagging counter did not know of', async () => {
    const id = 'd:u_r:u_s';
    const before = newStore();
    for (let i = 0; i < 10; i++) await before.store(input('u_r', `r-${i}`, id));
    await redis.del(`${prefix}seq:${id}`);
    expect((await newStore().store(input('u_r', 'r-10', id))).message.seq).toBe(11);

    await redis.set(`${prefix}seq:${id}`, '4');
    const after = newStore();
    expect((await after.store(input('u_s', 's-0', id))).message.seq).toBe(12);
    expect((await stored(id)).map((r) => r.seq)).toEqual(oneTo(12));
    expect(await m.Conversation.findOne({ conversation_id: id }, { _id: 0 }).lean()).toMatchObject({ members: ['u_r', 'u_s'] });
  });

  it('fills the seq of a writer that died after reserving it with an empty recalled message, once, whoever sweeps', async () => {
    const id = 'g:g_holes';
    const [one, two] = [newStore(), newStore()];
    await one.store(input('u_h', 'h-1', id));
    // A writer that reserved seqs 2 and 3 and died before storing them.
    const dead = new SeqCounters(redis, prefix, async () => 0);
    expect(await dead.reserve([{ conversation_id: id, from: 'u_dead' }, { conversation_id: id, from: 'u_dead' }])).toEqual([2, 3]);
    await one.store(input('u_h', 'h-4', id));
    expect((await stored(id)).map((r) => r.seq)).toEqual([1, 4]);
    // Young reservations are left alone: their writers may still be at work.
    expect(await one.fillHoles()).toBe(0);
    const filled = await Promise.all([one.fillHoles(0), two.fillHoles(0)]);
    expect(filled[0]! + filled[1]!).toBe(2);
    const rows = await stored(id);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(rows[1]).toMatchObject({ from: 'u_dead', kind: 'system', recalled: true, body: { mentions: [], attachments: [] } });
    expect(await dead.stale(0)).toEqual([]);
    expect((await one.store(input('u_h', 'h-5', id))).message.seq).toBe(5);
  });

  it('fills the seq a retry reserved in another process when a later message followed it', async () => {
    const id = 'g:g_retry_hole';
    const [one, two] = [newStore(), newStore()];
    await one.store(input('u_t', 't-1', id));
    await one.store(input('u_t', 't-2', id));
    // The retry reaches the other process while a new message is numbered (one Redis connection: in this order).
    const [retry, fresh] = await Promise.all([two.store(input('u_t', 't-2', id)), one.store(input('u_u', 'u-1', id))]);
    expect(retry).toMatchObject({ created: false, message: { seq: 2 } });
    expect(fresh).toMatchObject({ created: true, message: { seq: 4 } });
    const rows = await stored(id);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(rows[2]).toMatchObject({ from: 'u_t', kind: 'system', recalled: true });
  });
});
