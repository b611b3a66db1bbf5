import { describe, expect, it } from 'vitest';
import { AgentReply } from '../../schemas/webhook.js';
import type { AgentRequest } from '../sdk/index.js';
import { salesAgent } from './agents.js';
import { ORDERS, PRODUCTS } from './data.js';

const ask = (text: string, name = 'Li Lei'): AgentReply => {
  const req = {
    interaction_id: 'i1', agent_id: 'a_sales',
    message: { msg_id: 'm1', conversation_id: 'd:a_sales:u_li', seq: 1, from: 'u_li', ts: 1, kind: 'text', body: { text, mentions: [], attachments: [] }, client_msg_id: 'c1' },
    context: { last_messages: [], asker: { id: 'u_li', name, title: '', department: null, manager: null } },
  } satisfies AgentRequest;
  const reply = salesAgent(req);
  expect(AgentReply.safeParse(reply).success).toBe(true);
  return reply;
};
const field = (r: AgentReply, label: string) => r.card?.fields.find((f) => f.label === label)?.value;

describe('salesAgent: orders', () => {
  it.each(ORDERS.map((o) => [o.id, o] as const))('looks up %s and answers with a card of its fields', (id, order) => {
    const r = ask(`查订单 ${id}`, 'Wang Fang');
    const product = PRODUCTS.find((p) => p.id === order.product_id)!;
    expect(r.card?.title).toContain(id);
    expect(field(r, 'Customer')).toBe(order.customer);
    expect(field(r, 'Product')).toContain(product.name);
    expect(field(r, 'Product')).toContain(String(order.quantity));
    expect(field(r, 'Amount')).toContain(String(order.amount_cny));
    expect(field(r, 'Status')).toBe(order.status);
    expect(r.text).toContain('Wang Fang');
    expect(r.text).toContain(order.status);
  });
  it('finds an order written in lower case or inside a sentence', () => {
    const order = ORDERS[0]!;
    expect(field(ask(`where is ${order.id.toLowerCase()}?`), 'Customer')).toBe(order.customer);
    expect(field(ask(`status of order ${order.id}, please`), 'Customer')).toBe(order.customer);
  });
  it('says it cannot find an unknown order, naming it', () => {
    const unknown = 'SO-9999';
    expect(ORDERS.some((o) => o.id === unknown)).toBe(false);
    const r = ask(`查订单 ${unknown.toLowerCase()}`);
    expect(r.card).toBeUndefined();
    expect(r.text).toContain(unknown);
    for (const o of ORDERS) expect(r.text).not.toContain(o.customer);
  });
  it.each(['查订单', 'where is my order?', 'ORDER status'])('asks which order when none is given: %j', (text) => {
    const r = ask(text);
    expect(r.card).toBeUndefined();
    expect(r.text).toMatch(/SO-\d{4}/);
    expect(r.text).not.toContain('recommend');
  });
});

describe('salesAgent: recommendations', () => {
  it.each([...new Set(PRODUCTS.map((p) => p.category))])('recommends a %s product when asked for that category', (category) => {
    const r = ask(`推荐 ${category}`);
    const first = PRODUCTS.find((p) => p.category === category)!;
    expect(r.text).toContain(first.name);
    expect(r.text).toContain(String(first.price_cny));
  });
  it('matches the category case-insensitively, in English too', () => {
    const ai = PRODUCTS.find((p) => p.category === 'ai')!;
    expect(ask('Recommend something AI').text).toContain(ai.name);
  });
  it('recommends one of the products when no category is named', () => {
    const r = ask('推荐');
    expect(PRODUCTS.filter((p) => r.text!.includes(p.name))).toHaveLength(1);
  });
  it('a category is matched as a word, not inside another word ("email" is not "ai")', () => {
    const security = PRODUCTS.find((p) => p.category === 'security')!;
    expect(ask('recommend security tools for email').text).toContain(security.name);
  });
});

describe('salesAgent: anything else', () => {
  it('greets the asker and explains what it can do', () => {
    const r = ask('hello', 'Zhang Wei');
    expect(r.card).toBeUndefined();
    expect(r.text).toContain('Zhang Wei');
    expect(r.text).toContain('查订单');
    expect(r.text).toContain('推荐');
    for (const p of PRODUCTS) expect(r.text).not.toContain(p.name);
  });
  it('copes with a message without text', () => {
    const r = ask('');
    expect(r.text).toContain('Li Lei');
  });
});
