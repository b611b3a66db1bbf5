import type { AgentReply, AgentRequest } from '../sdk/index.js';
import { ORDERS, PRODUCTS, type Order } from './data.js';

const ORDER_ID = /\bSO-\d{4}\b/i;

function findOrder(text: string): Order | undefined {
  const id = ORDER_ID.exec(text)?.[0].toUpperCase();
  return ORDERS.find((o) => o.id === id);
}

function orderCard(o: Order): NonNullable<AgentReply['card']> {
  const product = PRODUCTS.find((p) => p.id === o.product_id);
  return {
    title: `Order ${o.id}`,
    fields: [
      { label: 'Customer', value: o.customer },
      { label: 'Product', value: `${product?.name ?? o.product_id} × ${o.quantity}` },
      { label: 'Amount', value: `¥${o.amount_cny}` },
      { label: 'Status', value: o.status },
    ],
    actions: [],
  };
}

/** Sales assistant: order look-up ("查订单 SO-1001") and product recommendations ("推荐"). */
export function salesAgent(req: AgentRequest): AgentReply {
  const text = req.message.body.text ?? '';
  const asker = req.context.asker.name;
  const order = findOrder(text);
  if (order) return { text: `${asker}, order ${order.id} for ${order.customer} is ${order.status}.`, card: orderCard(order) };
  if (ORDER_ID.test(text)) return { text: `I could not find order ${ORDER_ID.exec(text)![0].toUpperCase()}.` };
  if (/查订单|\border\b/i.test(text)) return { text: 'Which order? Give me its number, e.g. SO-1001.' };
  if (/推荐|recommend/i.test(text)) {
    const wanted = PRODUCTS.find((p) => new RegExp(`\\b${p.category}\\b`, 'i').test(text)) ?? PRODUCTS[1]!;
    return { text: `I recommend ${wanted.name} (¥${wanted.price_cny}/seat/month): ${wanted.pitch}.` };
  }
  return { text: `Hi ${asker}, I can look up orders (e.g. "查订单 SO-1001") and recommend products (e.g. "推荐 ai").` };
}
