/** A small, fixed data set so the demo agents answer deterministically (tests assert on it). */
export interface Order {
  id: string;
  customer: string;
  product_id: string;
  quantity: number;
  amount_cny: number;
  status: 'pending' | 'shipped' | 'delivered' | 'cancelled';
}

export interface Product {
  id: string;
  name: string;
  category: string;
  price_cny: number;
  pitch: string;
}

export const PRODUCTS: readonly Product[] = [
  { id: 'P-100', name: 'MChat Team', category: 'collaboration', price_cny: 30, pitch: 'chat, groups and files for teams up to 50' },
  { id: 'P-200', name: 'MChat Business', category: 'collaboration', price_cny: 60, pitch: 'adds AI agents, approvals and audit' },
  { id: 'P-300', name: 'Agent Studio', category: 'ai', price_cny: 200, pitch: 'design and run multi-agent relays' },
  { id: 'P-400', name: 'Compliance Pack', category: 'security', price_cny: 120, pitch: 'retention, export and sensitive-word filters' },
];

export const ORDERS: readonly Order[] = [
  { id: 'SO-1001', customer: 'Huaxin Trading', product_id: 'P-200', quantity: 120, amount_cny: 7200, status: 'shipped' },
  { id: 'SO-1002', customer: 'Beifang Logistics', product_id: 'P-100', quantity: 40, amount_cny: 1200, status: 'pending' },
  { id: 'SO-1003', customer: 'Lanting Design', product_id: 'P-300', quantity: 5, amount_cny: 1000, status: 'delivered' },
];
