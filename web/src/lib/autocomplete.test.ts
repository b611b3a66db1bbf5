import { describe, expect, it } from 'vitest';
import type { CapabilityCard, PublicProfile } from '$schemas';
import { insertion, mentionAt, rankCandidates, replaceMention } from './autocomplete';

const person = (id: string, name: string, is_ai_agent = false) => ({ id, name, is_ai_agent }) as PublicProfile;
const card = (name: string, examples: string[] = [], trigger_keywords: string[] = []) =>
  ({ id: name, name, description: '', examples, trigger_keywords }) as CapabilityCard;

describe('mentionAt', () => {
  it('finds the @word the caret ends, in any script', () => {
    expect(mentionAt('hi @sa', 6)).toEqual({ start: 3, query: 'sa' });
    expect(mentionAt('@报销', 3)).toEqual({ start: 0, query: '报销' });
    expect(mentionAt('你好@', 3)).toEqual({ start: 2, query: '' });
  });
  it('ignores e-mail addresses, finished words and a caret elsewhere', () => {
    expect(mentionAt('li@example.com', 14)).toBeNull();
    expect(mentionAt('@sa done', 8)).toBeNull();
    expect(mentionAt('@sales hi', 3)).toEqual({ start: 0, query: 'sa' });
  });
});

describe('rankCandidates', () => {
  const sales = person('a_sales', '销售助手', true);
  const li = person('u_li', '李雷');
  it('puts exact and prefix matches first, keeps the gateway’s pinyin matches, and finds skills by any part of the name', () => {
    const got = rankCandidates('订单', [li, sales], [{ agent: sales, card: card('订单查询') }, { agent: sales, card: card('报价') }]);
    expect(got.map((c) => (c.kind === 'skill' ? c.card.name : c.employee.id))).toEqual(['订单查询', 'u_li', 'a_sales']);
    const byId = rankCandidates('sal', [li, sales], []);
    expect(byId[0]).toEqual({ kind: 'employee', employee: sales });
  });
  it('offers everything for an empty query, up to the limit', () => {
    expect(rankCandidates('', [li, sales], [{ agent: sales, card: card('报价') }], 2)).toHaveLength(2);
  });
});

describe('insertion', () => {
  const sales = person('a_sales', '销售助手', true);
  it('writes @id for a colleague and @agent plus the first example for a skill', () => {
    expect(insertion({ kind: 'employee', employee: sales })).toEqual({ text: '@a_sales ', mention: 'a_sales' });
    expect(insertion({ kind: 'skill', agent: sales, card: card('订单查询', ['查订单 SO-1001']) })).toEqual({
      text: '@a_sales 查订单 SO-1001',
      mention: 'a_sales',
    });
    expect(insertion({ kind: 'skill', agent: sales, card: card('报价') }).text).toBe('@a_sales 报价');
  });
  it('replaces the typed @query and puts the caret after the insertion', () => {
    expect(replaceMention('ask @sa now', { start: 4, query: 'sa' }, '@a_sales ')).toEqual({ text: 'ask @a_sales  now', caret: 13 });
  });
});
