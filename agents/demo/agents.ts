import { answerLater, type AgentReply, type AgentRequest, type ApprovalDecided, type LaterAnswer } from '../sdk/index.js';
import { INVOICE_POLICY, MARKETS, ORDERS, PRODUCTS, REFUND_POLICY, type Market, type Order } from './data.js';

type Card = NonNullable<AgentReply['card']>;

const ORDER_ID = /\bSO-\d{4}\b/i;
const REFUND = /退款|\brefund/i;
const COMPLAINT = /投诉|\bcomplain/i;
const INVOICE = /发票|\binvoice/i;

function orderIdIn(text: string): string | undefined {
  return ORDER_ID.exec(text)?.[0].toUpperCase();
}

function orderById(id: string): Order | undefined {
  return ORDERS.find((o) => o.id === id);
}

/** A whole word, so "email" does not name the "ai" category. */
function namesWord(text: string, word: string): boolean {
  return new RegExp(`\\b${word}\\b`, 'i').test(text);
}

function card(title: string, fields: Record<string, string>): Card {
  return { title, fields: Object.entries(fields).map(([label, value]) => ({ label, value })), actions: [] };
}

function orderCard(o: Order): Card {
  const product = PRODUCTS.find((p) => p.id === o.product_id);
  return card(`Order ${o.id}`, {
    Customer: o.customer,
    Product: `${product?.name ?? o.product_id} × ${o.quantity}`,
    Amount: `¥${o.amount_cny}`,
    Status: o.status,
  });
}

const notFound = (id: string): AgentReply => ({ text: `I could not find order ${id}.` });

/**
 * Sales assistant: order look-up ("查订单 SO-1001"), recommendations ("推荐 ai"), refunds passed
 * on to the finance agent ("退款 SO-1002"), complaints handed to a human ("投诉").
 */
export function salesAgent(req: AgentRequest): AgentReply {
  const text = req.message.body.text ?? '';
  const asker = req.context.asker.name;
  if (COMPLAINT.test(text)) return complaint(asker, text);
  const id = orderIdIn(text);
  if (REFUND.test(text)) return id ? refundToFinance(asker, id) : { text: 'Which order should be refunded? Give me its number, e.g. 退款 SO-1002.' };
  if (id) {
    const order = orderById(id);
    return order ? { text: `${asker}, order ${order.id} for ${order.customer} is ${order.status}.`, card: orderCard(order) } : notFound(id);
  }
  if (/查订单|\border\b/i.test(text)) return { text: 'Which order? Give me its number, e.g. SO-1001.' };
  if (/推荐|recommend/i.test(text)) {
    const wanted = PRODUCTS.find((p) => namesWord(text, p.category)) ?? PRODUCTS[1]!;
    return { text: `I recommend ${wanted.name} (¥${wanted.price_cny}/seat/month): ${wanted.pitch}.` };
  }
  return { text: `Hi ${asker}, I can look up orders (e.g. "查订单 SO-1001"), recommend products (e.g. "推荐 ai") and pass refunds to Finance (e.g. "退款 SO-1002").` };
}

function complaint(asker: string, text: string): AgentReply {
  return {
    text: `I'm sorry to hear that, ${asker}. I'm handing this conversation to a colleague who can sort it out.`,
    handoff: { reason: `Complaint from ${asker}: "${text.slice(0, 500)}"` },
  };
}

/** Refunds are Finance's decision: the reply's text becomes the relay note the finance agent reads. */
function refundToFinance(asker: string, id: string): AgentReply {
  const order = orderById(id);
  if (!order) return notFound(id);
  return {
    text: `${asker}, refunds are Finance's call: I'm passing the refund of order ${order.id} (¥${order.amount_cny}, ${order.customer}) to the finance assistant.`,
    next_agent: 'a_finance',
  };
}

/**
 * Finance agent: refunds, relayed from the sales agent or asked directly ("退款 SO-1003"), approved
 * up to the policy's limit and sent for approval above it, and paid out or dropped once the
 * approver has decided; invoice questions ("发票 SO-1001"). A relayed request names the order in
 * the original message or in the relay notes.
 */
export function financeAgent(req: AgentRequest): AgentReply {
  const text = req.message.body.text ?? '';
  const notes = req.relay?.notes ?? '';
  const asker = req.context.asker.name;
  if (req.event?.type === 'approval_decided') return refundDecided(asker, req.event, orderIdIn(req.event.summary) ?? orderIdIn(text) ?? orderIdIn(notes));
  const id = orderIdIn(text) ?? orderIdIn(notes);
  if (REFUND.test(text) || REFUND.test(notes)) return id ? refund(asker, id) : { text: 'Which order should be refunded? Give me its number, e.g. 退款 SO-1003.' };
  if (INVOICE.test(text)) return id ? invoice(id) : { text: `${INVOICE_POLICY}. Tell me the order number (e.g. 发票 SO-1001) and I'll look it up.` };
  return { text: `Hi ${asker}, I handle refunds (e.g. "退款 SO-1003") and invoices (e.g. "发票 SO-1001").` };
}

function refund(asker: string, id: string): AgentReply {
  const order = orderById(id);
  if (!order) return notFound(id);
  if (order.status === 'cancelled') return { text: `Order ${order.id} was cancelled; there is nothing to refund.` };
  const { approval_limit_cny: limit, approver, payout } = REFUND_POLICY;
  const what = `the refund of ¥${order.amount_cny} for order ${order.id} (${order.customer})`;
  if (order.amount_cny > limit) {
    return {
      text: `${asker}, ${what} is above the ¥${limit} I may approve myself, so I've asked ${approver.name} to decide. I'll tell you here what they decide.`,
      needs_approval: { approver: approver.id, summary: `Refund ¥${order.amount_cny} for order ${order.id} (${order.customer}), asked by ${asker}.` },
    };
  }
  return {
    text: `${asker}, I've approved ${what}; the money reaches the customer in ${payout}.`,
    card: card(`Refund ${order.id}`, { Customer: order.customer, Amount: `¥${order.amount_cny}`, Decision: 'approved', Payout: payout }),
  };
}

/**
 * The follow-up to a refund sent for approval: approved, it is paid out (the card says so);
 * rejected, nothing is, and the asker hears why. The approver is whoever decided: after an
 * escalation that is not the one the policy names.
 */
function refundDecided(asker: string, event: ApprovalDecided, id: string | undefined): AgentReply {
  const order = id ? orderById(id) : undefined;
  const by = event.approver.name;
  const why = event.comment ? `: "${event.comment}"` : '';
  if (!order) return { text: `${asker}, ${by} ${event.decision === 'approve' ? 'approved' : 'rejected'} "${event.summary}"${why}.` };
  const what = `the refund of ¥${order.amount_cny} for order ${order.id} (${order.customer})`;
  const fields = { Customer: order.customer, Amount: `¥${order.amount_cny}` };
  if (event.decision === 'approve') {
    return {
      text: `${asker}, ${by} approved ${what}${why}. I've processed it: the money reaches the customer in ${REFUND_POLICY.payout}.`,
      card: card(`Refund ${order.id}`, { ...fields, Decision: 'approved', 'Approved by': by, Payout: REFUND_POLICY.payout }),
    };
  }
  return {
    text: `${asker}, ${by} declined ${what}${why}. Nothing has been paid out; if you think it should be reconsidered, talk to ${by}.`,
    card: card(`Refund ${order.id}`, { ...fields, Decision: 'rejected', 'Rejected by': by, ...(event.comment ? { Reason: event.comment } : {}) }),
  };
}

function invoice(id: string): AgentReply {
  const order = orderById(id);
  if (!order) return notFound(id);
  if (order.invoice_no) return { text: `Invoice ${order.invoice_no} for order ${order.id} (¥${order.amount_cny}, ${order.customer}) has been issued.` };
  if (order.status === 'cancelled') return { text: `Order ${order.id} was cancelled, so it has no invoice.` };
  return { text: `Order ${order.id} has no invoice yet: it is ${order.status}. ${INVOICE_POLICY}.` };
}

/** How long the research agent "works": long enough that it must answer through the callback. */
export const RESEARCH_DELAY_MS = 300;

/** Research agent: answers later (202, then a callback) with a market brief ("调研 ai"). */
export function researchAgent(req: AgentRequest): LaterAnswer {
  return answerLater(async () => {
    await new Promise((resolve) => setTimeout(resolve, RESEARCH_DELAY_MS));
    return marketBrief(req);
  });
}

/** The brief itself: one market when the message names a category, else an overview of all. */
export function marketBrief(req: AgentRequest): AgentReply {
  const text = req.message.body.text ?? '';
  const market = MARKETS.find((m) => namesWord(text, m.category));
  if (market) return marketCard(market);
  return {
    text: `Market overview for ${req.context.asker.name} (demo figures): ${MARKETS.map((m) => `${m.name} ${growth(m)}`).join('; ')}. Ask "调研 ai" for one market in depth.`,
    card: card('Market overview', Object.fromEntries(MARKETS.map((m) => [m.name, growth(m)]))),
  };
}

function growth(m: Market): string {
  return `¥${m.size_cny_bn} bn, +${m.growth_pct}% a year`;
}

function marketCard(m: Market): AgentReply {
  const offer = PRODUCTS.filter((p) => p.category === m.category).map((p) => p.name).join(', ');
  return {
    text: `${m.name} (demo figures): ${growth(m)}. Takeaway: ${m.takeaway}.`,
    card: card(`Market brief: ${m.name}`, { Size: `¥${m.size_cny_bn} bn`, Growth: `${m.growth_pct}% a year`, Buyers: m.buyers, 'Our offer': offer, Takeaway: m.takeaway }),
  };
}
