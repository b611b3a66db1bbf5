import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, OpResult } from '../schemas/index.js';
import { startStack, type Stack } from './stack.js';
import { TestClient, errorOf } from './client.js';

type Search = OpResult<'msg.search'>;

/** `msg.search` against the real stack: a gateway on FerretDB, Redis and the embedded broker. */
describe('msg.search: text search over the caller’s conversations', () => {
  let stack: Stack;
  let li: TestClient;
  let zhang: TestClient;
  let wang: TestClient;
  const group = `g_search_${ulid().toLowerCase()}`;
  /** Every message sent here that contains 退款, newest last. */
  const refunds: { msg_id: string; conversation_id: string }[] = [];

  const send = async (from: TestClient, to: { direct: string } | { group: string }, text: string) =>
    from.ok<{ msg_id: string; conversation_id: string }>('msg.send', { to, client_msg_id: ulid(), body: { text } });

  /** The ids newest first, as the op orders them: by time, then by id (stored times can tie). */
  async function newestFirst(ids: string[]): Promise<string[]> {
    const rows = await stack.m.Message.find({ msg_id: { $in: ids } }, { _id: 0, msg_id: 1, ts: 1 }).lean<Pick<Message, 'msg_id' | 'ts'>[]>();
    expect(rows).toHaveLength(ids.length);
    return rows.sort((a, b) => b.ts - a.ts || (a.msg_id < b.msg_id ? 1 : -1)).map((r) => r.msg_id);
  }

  /** Every page of a search, following next_cursor. */
  async function allPages(who: TestClient, q: string, limit: number): Promise<Search['hits'][]> {
    const pages: Search['hits'][] = [];
    let cursor: string | undefined;
    do {
      const page = await who.ok<Search>('msg.search', { q, limit, ...(cursor ? { cursor } : {}) });
      pages.push(page.hits);
      expect(page.has_more).toBe(page.next_cursor !== undefined);
      cursor = page.next_cursor;
      expect(pages.length, 'paging never ends').toBeLessThan(50);
    } while (cursor);
    return pages;
  }

  beforeAll(async () => {
    stack = await startStack();
    const [tl, tz, tw] = await Promise.all(['u_li', 'u_zhang', 'u_wang'].map((id) => stack.login(id)));
    [li, zhang, wang] = await Promise.all([
      TestClient.connect(stack.mqttUrl, 'u_li', tl!, 'search'),
      TestClient.connect(stack.mqttUrl, 'u_zhang', tz!, 'search'),
      TestClient.connect(stack.mqttUrl, 'u_wang', tw!, 'search'),
    ]);
    await li.ok('group.create', { id: group, name: '售后群', members: ['u_zhang'] });
    // Interleaved between a direct chat and a group, with messages that do not match between.
    for (let i = 0; i < 7; i++) {
      refunds.push(await send(i % 2 ? zhang : li, { direct: i % 2 ? 'u_li' : 'u_zhang' }, `订单 SO-${i} 我要退款，谢谢`));
      await send(li, { direct: 'u_zhang' }, `订单 SO-${i} 已发货`);
      refunds.push(await send(i % 3 ? li : zhang, { group }, `群里 ${i}: 退款进度?`));
    }
  });
  afterAll(async () => {
    await Promise.all([li?.close(), zhang?.close(), wang?.close()]);
    await stack?.stop();
  });

  it('finds Chinese by substring, newest first, with the message, its conversation and the match marked', async () => {
    const { hits } = await li.ok<Search>('msg.search', { q: '退款', limit: 50 });
    expect(hits.map((h) => h.message.msg_id)).toEqual(await newestFirst(refunds.map((r) => r.msg_id)));
    const ts = hits.map((h) => h.message.ts);
    expect(ts).toEqual([...ts].sort((a, b) => b - a));
    for (const hit of hits) {
      expect(hit.message.body.text).toContain('退款');
      expect(hit.highlight.matches.length).toBeGreaterThan(0);
      for (const m of hit.highlight.matches) expect(hit.highlight.snippet.slice(m.start, m.end)).toBe('退款');
    }
    const direct = hits.find((h) => h.conversation.kind === 'direct')!;
    expect(direct.conversation).toMatchObject({ conversation_id: 'd:u_li:u_zhang', peer_id: 'u_zhang' });
    expect(direct.conversation.title).not.toBe('');
    const inGroup = hits.find((h) => h.conversation.kind === 'group')!;
    expect(inGroup.conversation).toEqual({ conversation_id: `g:${group}`, kind: 'group', title: '售后群', group_id: group });
  });

  it('pages with the cursor: every hit once, in the same order as one page', async () => {
    const pages = await allPages(li, '退款', 3);
    expect(pages.length).toBeGreaterThan(3);
    for (const page of pages.slice(0, -1)) expect(page).toHaveLength(3);
    const ids = pages.flat().map((h) => h.message.msg_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(await newestFirst(refunds.map((r) => r.msg_id)));
  });

  it('pages correctly when a single conversation holds most of the hits', async () => {
    const pages = await allPages(zhang, '进度', 2);
    const ids = pages.flat().map((h) => h.message.msg_id);
    expect(ids).toEqual(await newestFirst(refunds.filter((r) => r.conversation_id === `g:${group}`).map((r) => r.msg_id)));
  });

  it('finds nothing in conversations the caller is not in', async () => {
    const own = await send(wang, { direct: 'u_zhang' }, '王总的退款审批');
    const { hits, has_more } = await wang.ok<Search>('msg.search', { q: '退款', limit: 50 });
    expect(hits.map((h) => h.message.msg_id)).toEqual([own.msg_id]);
    expect(has_more).toBe(false);
  });

  it('is case-insensitive for Latin text and takes the query literally, not as a pattern', async () => {
    const refund = await send(li, { direct: 'u_zhang' }, 'Please REFUND order SO-9');
    const literal = await send(li, { direct: 'u_zhang' }, 'glob a.*b here');
    expect((await li.ok<Search>('msg.search', { q: 'refund' })).hits.map((h) => h.message.msg_id)).toEqual([refund.msg_id]);
    expect((await li.ok<Search>('msg.search', { q: '.*' })).hits.map((h) => h.message.msg_id)).toEqual([literal.msg_id]);
    expect((await li.ok<Search>('msg.search', { q: '(' })).hits).toEqual([]);
  });

  it('gives a snippet around the match of a long text', async () => {
    const long = `${'前'.repeat(300)}找到我${'后'.repeat(300)}`;
    await send(li, { direct: 'u_zhang' }, long);
    const [hit] = (await li.ok<Search>('msg.search', { q: '找到我' })).hits;
    expect(hit!.message.body.text).toBe(long);
    const { snippet, matches } = hit!.highlight;
    expect(snippet.length).toBeLessThan(long.length);
    expect(snippet.startsWith('…') && snippet.endsWith('…')).toBe(true);
    expect(matches).toHaveLength(1);
    expect(snippet.slice(matches[0]!.start, matches[0]!.end)).toBe('找到我');
  });

  it('does not find a recalled message', async () => {
    const sent = await send(li, { direct: 'u_zhang' }, '撤回的秘密口令');
    expect((await li.ok<Search>('msg.search', { q: '秘密口令' })).hits).toHaveLength(1);
    await li.ok('msg.recall', { msg_id: sent.msg_id });
    expect((await li.ok<Search>('msg.search', { q: '秘密口令' })).hits).toEqual([]);
    expect((await zhang.ok<Search>('msg.search', { q: '秘密口令' })).hits).toEqual([]);
  });

  it('a member removed from a group no longer finds its messages, later ones included', async () => {
    const removed = `g_removed_${ulid().toLowerCase()}`;
    await li.ok('group.create', { id: removed, name: '临时群', members: ['u_zhang'] });
    const before = await send(li, { group: removed }, '移除前的暗号');
    expect((await zhang.ok<Search>('msg.search', { q: '暗号' })).hits.map((h) => h.message.msg_id)).toEqual([before.msg_id]);
    await li.ok('group.remove_members', { id: removed, members: ['u_zhang'] });
    const after = await send(li, { group: removed }, '移除后的暗号');
    expect((await zhang.ok<Search>('msg.search', { q: '暗号' })).hits).toEqual([]);
    expect((await li.ok<Search>('msg.search', { q: '暗号' })).hits.map((h) => h.message.msg_id)).toEqual([after.msg_id, before.msg_id]);
  });

  it.each([
    ['an empty query', { q: '' }, 'payload.q'],
    ['a query of spaces', { q: '   ' }, 'payload.q'],
    ['too long a query', { q: '退'.repeat(101) }, 'payload.q'],
    ['no query', {}, 'payload.q'],
    ['a query that is not text', { q: 7 }, 'payload.q'],
    ['a cursor that is not one', { q: '退款', cursor: 'not-a-cursor' }, 'payload.cursor'],
    ['a cursor of the wrong shape', { q: '退款', cursor: Buffer.from('{"ts":"x"}').toString('base64url') }, 'payload.cursor'],
    ['a limit of 0', { q: '退款', limit: 0 }, 'payload.limit'],
    ['a limit over 50', { q: '退款', limit: 51 }, 'payload.limit'],
  ])('refuses %s with E_SCHEMA', async (_what, payload, field) => {
    const err = errorOf(await li.request('msg.search', payload as Record<string, unknown>));
    expect(err).toMatchObject({ code: 'E_SCHEMA', field });
    expect(err.message.length).toBeGreaterThan(0);
  });
});
