import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { visible, type Message } from '../schemas/index.js';
import { connectDb, models, type Models } from './db.js';
import { createLogger } from '../lib/logger.js';
import { MessageStore } from './messages.js';
import { RecentMessages } from './recent.js';

const log = createLogger('test', 'silent');

/** Against the run's real Redis and FerretDB: two stores stand for two processes writing one conversation. */
describe('RecentMessages', () => {
  let conn: Connection;
  let m: Models;
  let redis: Redis;
  const prefix = `recent-test-${Date.now()}:`;
  beforeAll(async () => {
    conn = await connectDb(inject('services').mongoUrl.replace(/\/mchat$/, `/t_recent_${Date.now()}`));
    m = models(conn);
    redis = new Redis(inject('services').redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    for (const s of stores) s.close();
    await conn?.dropDatabase();
    await conn?.close();
    await redis?.quit();
  });

  const stores: MessageStore[] = [];
  const store = (recent: RecentMessages | null = new RecentMessages(redis, prefix, log)) => {
    const s = new MessageStore({ m, redis, prefix, log, ...(recent ? { recent } : {}) });
    stores.push(s);
    return s;
  };
  const send = (s: MessageStore, conversationId: string, from: string, id: string, text = id) =>
    // client_msg_id is unique per sender across conversations: a reused one is a retry.
    s.store({ conversation_id: conversationId, members: [], from, kind: 'text', body: { text, mentions: [], attachments: [] }, client_msg_id: `${conversationId}-${id}` })
      .then((r) => r.message);
  /** Pushes go out at the end of the event loop turn; a list read right after a write may not see it yet. */
  const settle = () => new Promise((r) => setTimeout(r, 50));
  const texts = (ms: Message[] | undefined) => ms?.map((x) => visible(x).body.text ?? '(recalled)');

  it('answers the messages before a question, oldest first, whoever stored them', async () => {
    const [gateway, worker] = [store(), store()];
    const conv = 'g:g_recent_a';
    await send(gateway, conv, 'u_a', 'one');
    await send(worker, conv, 'a_bot', 'two');
    await send(gateway, conv, 'u_a', 'three');
    await send(worker, conv, 'a_bot', 'four');
    const question = await send(gateway, conv, 'u_a', 'five');
    await settle();
    expect(question.seq).toBe(5);
    expect(texts(await gateway.recent!.before(question, 3))).toEqual(['two', 'three', 'four']);
  });

  it('answers what there is at the start of a conversation', async () => {
    const s = store();
    const first = await send(s, 'g:g_recent_b', 'u_a', 'first');
    const second = await send(s, 'g:g_recent_b', 'u_a', 'second');
    await settle();
    expect(await s.recent!.before(first, 3)).toEqual([]);
    expect(texts(await s.recent!.before(second, 3))).toEqual(['first']);
  });

  it('still answers a question that waited while a burst of messages came after it', async () => {
    const s = store();
    const conv = 'g:g_recent_burst';
    for (const id of ['one', 'two', 'three']) await send(s, conv, 'u_a', id);
    const question = await send(s, conv, 'u_a', 'question');
    for (let i = 0; i < 20; i++) await send(s, conv, 'u_b', `later-${i}`);
    await settle();
    expect(texts(await s.recent!.before(question, 3))).toEqual(['one', 'two', 'three']);
  });

  it('lets a writer that fell behind jump past what the other remembered, without searching the database for the last seq', async () => {
    const [gateway, worker] = [store(), store()];
    const conv = 'g:g_recent_jump';
    await send(worker, conv, 'a_bot', 'first');
    for (let i = 0; i < 6; i++) await send(gateway, conv, 'u_a', `q-${i}`);
    await settle();
    const reads = vi.spyOn(m.Message, 'findOne');
    try {
      expect((await send(worker, conv, 'a_bot', 'answer')).seq).toBe(8);
      // A read by the retry key may come (FerretDB does not name the index a duplicate hit); no search for the last seq.
      expect(reads.mock.calls.filter(([filter]) => filter && 'conversation_id' in filter)).toEqual([]);
    } finally {
      reads.mockRestore();
    }
  });

  it('hides what was recalled after it was remembered', async () => {
    const s = store();
    const conv = 'g:g_recent_c';
    const secret = await send(s, conv, 'u_a', 'secret');
    const question = await send(s, conv, 'u_a', 'question');
    s.recent!.recall(conv, secret.seq);
    await settle();
    const before = await s.recent!.before(question, 3);
    expect(before?.[0]).toMatchObject({ seq: secret.seq, recalled: true });
    expect(texts(before)).toEqual(['(recalled)']);
  });

  it('does not vouch for a context with a message it never saw', async () => {
    const conv = 'g:g_recent_d';
    const remembering = store();
    await send(remembering, conv, 'u_a', 'one');
    await send(store(null), conv, 'u_b', 'two'); // a writer that does not remember
    const question = await send(remembering, conv, 'u_a', 'three');
    await settle();
    expect(await remembering.recent!.before(question, 3)).toBeUndefined();
  });

  it('does not keep long messages, so their context comes from the database', async () => {
    const s = store();
    const conv = 'g:g_recent_e';
    await send(s, conv, 'u_a', 'long', 'x'.repeat(9 * 1024));
    const question = await send(s, conv, 'u_a', 'question');
    await settle();
    expect(await s.recent!.before(question, 3)).toBeUndefined();
  });

  it('answers nothing, and stores on, while Redis is away', async () => {
    const away = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
    away.on('error', () => undefined);
    const s = store(new RecentMessages(away, prefix, log));
    const one = await send(s, 'g:g_recent_f', 'u_a', 'one');
    const two = await send(s, 'g:g_recent_f', 'u_a', 'two');
    await settle();
    expect(two.seq).toBe(one.seq + 1);
    expect(await s.recent!.before(two, 3)).toBeUndefined();
    away.disconnect();
  });
});
