import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Message } from '../schemas/index.js';
import { ownDatabase, type OwnDatabase } from '../test/database.js';
import { createLogger } from '../lib/logger.js';
import { MessageStore } from './messages.js';
import { BLOCK, blockOf, messagesAfter, messagesBefore } from './pages.js';

const N = 2 * BLOCK + 300;

const message = (conversation_id: string, seq: number): Message => ({
  msg_id: `m-${conversation_id}-${seq}`, conversation_id, seq, from: 'u_a', ts: seq, kind: 'text',
  body: { text: `#${seq}`, mentions: [], attachments: [] }, client_msg_id: `c-${seq}`,
});

/** Against the run's real FerretDB (on PostgreSQL): block reads answer exactly what a seq range does. */
describe('message pages by block', () => {
  let db: OwnDatabase;
  const seqs = (rows: Message[]) => rows.map((r) => r.seq);
  const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

  beforeAll(async () => {
    db = await ownDatabase('pages');
    const insert = (docs: object[]) => db.m.Message.collection.insertMany(docs as never[], { ordered: false });
    const all = range(1, N);
    // 'blocks': as MessageStore writes them. 'legacy': stored before blocks. 'mixed': an upgrade in the middle.
    await insert(all.map((seq) => ({ ...message('blocks', seq), block: blockOf(seq) })));
    await insert(all.map((seq) => message('legacy', seq)));
    await insert(all.map((seq) => ({ ...message('mixed', seq), ...(seq > BLOCK + 200 ? { block: blockOf(seq) } : {}) })));
  }, 120_000);
  afterAll(() => db?.drop());

  it('pages forward and backward like a seq range, with or without blocks, never showing the block field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('blocks', 'legacy', 'mixed'),
        fc.integer({ min: 0, max: N + 5 }),
        fc.integer({ min: 1, max: 1001 }),
        async (conversation, cursor, limit) => {
          const after = await messagesAfter(db.m, conversation, cursor, limit, N);
          expect(seqs(after)).toEqual(range(cursor + 1, Math.min(N, cursor + limit)));
          const before = await messagesBefore(db.m, conversation, cursor, limit, N);
          const last = Math.min(N, cursor - 1);
          expect(seqs(before)).toEqual(range(Math.max(1, last - limit + 1), last).reverse());
          for (const row of [...after, ...before]) expect(row).not.toHaveProperty('block');
        },
      ),
      { numRuns: 25, examples: [['mixed', 1000, 1], ['mixed', 1200, 5], ['mixed', 1202, 5], ['legacy', 2001, 1000]] },
    );
  }, 120_000);

  it('stops at `newest`, and reads a block that comes back short (a seq not yet stored) by range', async () => {
    expect(seqs(await messagesAfter(db.m, 'blocks', BLOCK - 10, 100, BLOCK + 5))).toEqual(range(BLOCK - 9, BLOCK + 5));
    // The counter is ahead of what is stored: the tail block is short, and what is stored comes back.
    expect(seqs(await messagesAfter(db.m, 'blocks', N - 5, 100, N + 3))).toEqual(range(N - 4, N));
    expect(seqs(await messagesBefore(db.m, 'blocks', undefined, 3, N + 3))).toEqual([N, N - 1, N - 2]);
    // Without a counter: by range.
    expect(seqs(await messagesAfter(db.m, 'blocks', N - 2, 100))).toEqual([N - 1, N]);
    expect(seqs(await messagesBefore(db.m, 'legacy', undefined, 2))).toEqual([N, N - 1]);
  });

  it('is what MessageStore writes: each message with its block', async () => {
    const redis = new Redis(inject('services').redisUrl, { maxRetriesPerRequest: 1 });
    const store = new MessageStore({ m: db.m, redis, prefix: `pages-test-${Date.now()}:`, log: createLogger('test', 'silent') });
    try {
      for (let i = 0; i < 3; i++) {
        await store.store({ conversation_id: 'd:u_a:u_b', members: ['u_a', 'u_b'], from: 'u_a', kind: 'text', body: { text: `${i}`, mentions: [], attachments: [] }, client_msg_id: `s-${i}` });
      }
      const stored = await db.m.Message.find({ conversation_id: 'd:u_a:u_b' }, { _id: 0, seq: 1, block: 1 }).sort({ seq: 1 }).lean();
      expect(stored.map((r) => [r.seq, r.block])).toEqual([[1, 0], [2, 0], [3, 0]]);
      expect(seqs(await messagesAfter(db.m, 'd:u_a:u_b', 0, 10, await store.counted('d:u_a:u_b')))).toEqual([1, 2, 3]);
    } finally {
      store.close();
      await redis.quit();
    }
  });
});
