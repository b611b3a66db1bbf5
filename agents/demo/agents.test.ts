import { describe, expect, it } from 'vitest';
import { AgentReply } from '../../schemas/webhook.js';
import { type AgentRequest, LaterAnswer } from '../sdk/index.js';
import { financeAgent, marketBrief, RESEARCH_DELAY_MS, researchAgent, salesAgent } from './agents.js';
import { MARKETS, ORDERS, PRODUCTS, REFUND_POLICY } from './data.js';

const request = (agent_id: string, text: string, name = 'Li Lei', relay?: AgentRequest['relay']): AgentRequest => ({
  interaction_id: 'i1', agent_id,
  message: { msg_id: 'm1', conversation_id: `d:${agent_id}:u_li`, seq: 1, from: 'u_li', ts: 1, kind: 'text', body: { text, mentions: [], attachments: [] }, client_msg_id: 'c1' },
  context: { last_messages: [], asker: { id: 'u_li', name, title: 'Account Manager', department: 'Sales', manager: 'Wang Fang' } },
  ...(relay ? { relay } : {}),
});
/** Every answer must be one MChat accepts. */
const valid = (reply: AgentReply): AgentReply => {
  expect(AgentReply.safeParse(reply).success).toBe(true);
  return reply;
};
const ask = (text: string, name = 'Li Lei') => valid(salesAgent(request('a_sales', text, name)));
const askFinance = (text: string, relay?: AgentRequest['relay']) => valid(financeAgent(request('a_finance', text, 'Li Lei', relay)));
const order = (id: string) => ORDERS.find((o) => o.id === id)!;
const field = (r: AgentReply, label: string) => r.card?.fields.find((f) => f.label === label)?.value;

describe('salesAgent: orders', () => {
  it.each(ORDERS.map((o) => [o.id, o] as const))('looks up %s and answers with a card of its fields', (id, o) => {
    const r = ask(`查订单 ${id}`, 'Wang Fang');
    const product = PRODUCTS.find((p) => p.id === o.product_id)!;
    expect(r.card?.title).toBe(`Order ${id}`);
    expect(field(r, 'Customer')).toBe(o.customer);
    expect(field(r, 'Product')).toContain(product.name);
    expect(field(r, 'Product')).toContain(String(o.quantity));
    expect(field(r, 'Amount')).toContain(String(o.amount_cny));
    expect(field(r, 'Status')).toBe(o.status);
    expect(r.text).toContain('Wang Fang');
    expect(r.text).toContain(o.status);
    expect(r.next_agent).toBeUndefined();
  });
  it('answers the web test\'s question: SO-1001 for Li Lei', () => {
    const r = ask('查订单 SO-1001');
    expect(r.card?.title).toBe('Order SO-1001');
    expect(r.text).toContain('Li Lei');
  });
  it('finds an order written in lower case or inside a sentence', () => {
    const o = ORDERS[0]!;
    expect(field(ask(`where is ${o.id.toLowerCase()}?`), 'Customer')).toBe(o.customer);
    expect(field(ask(`status of order ${o.id}, please`), 'Customer')).toBe(o.customer);
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
    expect(r.text).toContain('退款');
    expect(r.next_agent).toBeUndefined();
    for (const p of PRODUCTS) expect(r.text).not.toContain(p.name);
  });
  it('copes with a message without text', () => {
    const r = ask('');
    expect(r.text).toContain('Li Lei');
  });
});

describe('salesAgent: refunds and complaints', () => {
  it.each(['退款 SO-1002', 'refund SO-1002', 'Please refund so-1002'])('passes %j to the finance agent, naming the order in its note', (text) => {
    const r = ask(text);
    expect(r.next_agent).toBe('a_finance');
    expect(r.text).toContain('SO-1002');
    expect(r.text).toContain(String(order('SO-1002').amount_cny));
    expect(r.text).toContain('Li Lei');
    expect(r.card).toBeUndefined();
  });
  it('asks which order when a refund names none, and passes nothing on', () => {
    const r = ask('我要退款');
    expect(r.next_agent).toBeUndefined();
    expect(r.text).toContain('退款 SO-1002');
  });
  it('does not pass on a refund of an unknown order', () => {
    const r = ask('退款 SO-9999');
    expect(r.next_agent).toBeUndefined();
    expect(r.text).toContain('SO-9999');
  });
  it.each(['投诉: the delivery was late', 'I want to file a complaint', 'I complain about SO-1001, refund it'])(
    'hands %j to a human with the reason, before anything else',
    (text) => {
      const r = ask(text);
      expect(r.handoff?.reason).toContain('Li Lei');
      expect(r.handoff?.reason).toContain(text);
      expect(r.text).toContain('colleague');
      expect(r.next_agent).toBeUndefined();
      expect(r.card).toBeUndefined();
    },
  );
});

describe('financeAgent: refunds', () => {
  const limit = REFUND_POLICY.approval_limit_cny;
  const relay = { hop: 1, from_agent: 'a_sales', notes: '' };
  const small = ORDERS.filter((o) => o.amount_cny <= limit && o.status !== 'cancelled');
  const large = ORDERS.filter((o) => o.amount_cny > limit && o.status !== 'cancelled');

  it('the data covers both sides of the limit, and the limit itself', () => {
    expect(small.map((o) => o.id)).toContain('SO-1003');
    expect(order('SO-1003').amount_cny).toBe(limit);
    expect(large.map((o) => o.id)).toContain('SO-1002');
  });
  it.each(small.map((o) => [o.id, o] as const))('approves the refund of %s itself, with a card', (id, o) => {
    const r = askFinance(`退款 ${id}`);
    expect(r.needs_approval).toBeUndefined();
    expect(r.text).toContain('approved');
    expect(r.text).toContain(id);
    expect(r.card?.title).toBe(`Refund ${id}`);
    expect(field(r, 'Amount')).toBe(`¥${o.amount_cny}`);
    expect(field(r, 'Decision')).toBe('approved');
    expect(field(r, 'Customer')).toBe(o.customer);
  });
  it.each(large.map((o) => [o.id, o] as const))('sends the refund of %s to the approver', (id, o) => {
    const r = askFinance(`refund ${id}`);
    expect(r.needs_approval?.approver).toBe(REFUND_POLICY.approver.id);
    expect(r.needs_approval?.summary).toContain(id);
    expect(r.needs_approval?.summary).toContain(`¥${o.amount_cny}`);
    expect(r.needs_approval?.summary).toContain('Li Lei');
    expect(r.text).toContain(REFUND_POLICY.approver.name);
    expect(r.text).not.toContain('approved');
    expect(r.next_agent).toBeUndefined();
  });
  it('the approver is u_wang, Wang Fang (the seed makes them head of finance and every asker\'s manager)', () => {
    expect(REFUND_POLICY.approver).toEqual({ id: 'u_wang', name: 'Wang Fang' });
  });
  it('handles the relay from the sales agent: the order is in the original message', () => {
    const notes = salesAgent(request('a_sales', '退款 SO-1002')).text!;
    const r = askFinance('退款 SO-1002', { ...relay, notes: `a_sales: ${notes}` });
    expect(r.needs_approval?.summary).toContain('SO-1002');
  });
  it('reads the order and the refund from the relay notes when the message does not name them', () => {
    const r = askFinance('can you sort this out?', { ...relay, notes: 'a_sales: passing the refund of order SO-1004 to finance' });
    expect(r.card?.title).toBe('Refund SO-1004');
    expect(field(r, 'Decision')).toBe('approved');
  });
  it('prefers the order named in the message to one in the notes', () => {
    const r = askFinance('refund SO-1003', { ...relay, notes: 'a_sales: earlier we spoke of SO-1005' });
    expect(r.card?.title).toBe('Refund SO-1003');
  });
  it('refuses to refund a cancelled order', () => {
    const r = askFinance('退款 SO-1006');
    expect(r.text).toContain('cancelled');
    expect(r.card).toBeUndefined();
    expect(r.needs_approval).toBeUndefined();
  });
  it('names an unknown order, and asks for one when none is given', () => {
    expect(askFinance('退款 SO-9999').text).toContain('SO-9999');
    const r = askFinance('refund please');
    expect(r.text).toContain('退款 SO-');
    expect(r.needs_approval).toBeUndefined();
  });
});

describe('financeAgent: following up on a decided refund', () => {
  const { approver } = REFUND_POLICY;
  /** What MChat sends once the approval `asked` asked for is decided: the same question, and the event. */
  const decided = (asked: AgentReply, decision: 'approve' | 'reject', comment?: string, by: { id: string; name: string } = approver): AgentRequest => ({
    ...request('a_finance', '退款 SO-1002'),
    interaction_id: 'i1#1',
    event: {
      type: 'approval_decided', task_id: 't-1', summary: asked.needs_approval!.summary, decision,
      ...(comment ? { comment } : {}), approver: by, decided_at: 2,
    },
  });
  const asked = askFinance('退款 SO-1002');
  const o = order('SO-1002');

  it('asking, it says the answer will follow here', () => {
    expect(asked.needs_approval).toBeDefined();
    expect(asked.text).toContain("I'll tell you here what they decide");
  });
  it('approved: the refund is processed, with a card saying who approved it and when it pays out', () => {
    const r = valid(financeAgent(decided(asked, 'approve', 'fine')));
    expect(r.text).toContain('Li Lei');
    expect(r.text).toContain(`${approver.name} approved`);
    expect(r.text).toContain('"fine"');
    expect(r.text).toContain("I've processed it");
    expect(r.text).toContain(REFUND_POLICY.payout);
    expect(r.card?.title).toBe('Refund SO-1002');
    expect(field(r, 'Decision')).toBe('approved');
    expect(field(r, 'Approved by')).toBe(approver.name);
    expect(field(r, 'Amount')).toBe(`¥${o.amount_cny}`);
    expect(field(r, 'Customer')).toBe(o.customer);
  });
  it('rejected: nothing is paid out, and the reason is given', () => {
    const r = valid(financeAgent(decided(asked, 'reject', 'the customer has not returned the seats')));
    expect(r.text).toContain(`${approver.name} declined`);
    expect(r.text).toContain('the customer has not returned the seats');
    expect(r.text).toContain('Nothing has been paid out');
    expect(r.text).not.toContain('processed');
    expect(field(r, 'Decision')).toBe('rejected');
    expect(field(r, 'Reason')).toBe('the customer has not returned the seats');
  });
  it('a rejection without a comment has no Reason', () => {
    const r = valid(financeAgent(decided(asked, 'reject')));
    expect(r.card?.fields.map((f) => f.label)).not.toContain('Reason');
    expect(r.text).not.toContain('""');
  });
  it('names whoever decided: after an escalation that is not the policy\'s approver', () => {
    const r = valid(financeAgent(decided(asked, 'approve', undefined, { id: 'u_chen', name: 'Chen Jing' })));
    expect(r.text).toContain('Chen Jing approved');
    expect(field(r, 'Approved by')).toBe('Chen Jing');
  });
  it('never asks again or passes the request on when following up', () => {
    for (const decision of ['approve', 'reject'] as const) {
      const r = financeAgent(decided(asked, decision));
      expect(r.needs_approval).toBeUndefined();
      expect(r.next_agent).toBeUndefined();
    }
  });
  it('a decision on something it cannot place is acknowledged as it was summarised', () => {
    const r = valid(financeAgent({ ...decided(asked, 'approve'), event: { ...decided(asked, 'approve').event!, summary: 'a team lunch' }, message: request('a_finance', 'hello').message }));
    expect(r.text).toBe(`Li Lei, ${approver.name} approved "a team lunch".`);
    expect(r.card).toBeUndefined();
  });
});

describe('financeAgent: invoices and anything else', () => {
  it.each(ORDERS.filter((o) => o.invoice_no).map((o) => [o.id, o] as const))('gives the invoice number of %s', (id, o) => {
    const r = askFinance(`发票 ${id}`);
    expect(r.text).toContain(o.invoice_no!);
    expect(r.text).toContain(id);
    expect(r.needs_approval).toBeUndefined();
  });
  it('says an order not yet invoiced has no invoice, and when it will', () => {
    const r = askFinance('invoice for SO-1002?');
    expect(r.text).toContain('no invoice yet');
    expect(r.text).toContain('3 working days');
    expect(askFinance('发票 SO-1006').text).toContain('cancelled');
  });
  it('explains the invoice policy when no order is named', () => {
    const r = askFinance('发票怎么开?');
    expect(r.text).toContain('3 working days');
    expect(r.text).toContain('发票 SO-1001');
  });
  it('greets the asker and says what it does', () => {
    const r = askFinance('hello');
    expect(r.text).toContain('Li Lei');
    expect(r.text).toContain('退款');
    expect(r.text).toContain('发票');
  });
});

describe('researchAgent', () => {
  it.each(MARKETS.map((m) => [m.category, m] as const))('briefs on the %s market when it is named', (category, m) => {
    const r = valid(marketBrief(request('a_research', `调研 ${category} market`)));
    expect(r.card?.title).toBe(`Market brief: ${m.name}`);
    expect(field(r, 'Growth')).toContain(String(m.growth_pct));
    expect(field(r, 'Our offer')).toContain(PRODUCTS.find((p) => p.category === category)!.name);
    expect(r.text).toContain(m.takeaway);
    expect(r.text).toContain('demo figures');
  });
  it('gives an overview of every market when none is named', () => {
    const r = valid(marketBrief(request('a_research', '调研')));
    expect(r.card?.title).toBe('Market overview');
    expect(r.card?.fields.map((f) => f.label)).toEqual(MARKETS.map((m) => m.name));
    expect(r.text).toContain('Li Lei');
  });
  it('answers later: the brief comes after the research delay', async () => {
    const req = request('a_research', 'research security');
    const answer = researchAgent(req);
    expect(answer).toBeInstanceOf(LaterAnswer);
    const started = Date.now();
    expect(await answer.work()).toEqual(marketBrief(req));
    expect(Date.now() - started).toBeGreaterThanOrEqual(RESEARCH_DELAY_MS - 20);
  });
});
