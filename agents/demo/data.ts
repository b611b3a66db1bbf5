/** A small, fixed data set so the demo agents answer deterministically (tests assert on it). */
export interface Order {
  id: string;
  customer: string;
  product_id: string;
  quantity: number;
  amount_cny: number;
  status: 'pending' | 'shipped' | 'delivered' | 'cancelled';
  /** Set once Finance has invoiced the order. */
  invoice_no?: string;
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

/** Amounts are price × quantity; SO-1003 sits exactly on the refund limit, SO-1002 just above it. */
export const ORDERS: readonly Order[] = [
  { id: 'SO-1001', customer: 'Huaxin Trading', product_id: 'P-200', quantity: 120, amount_cny: 7200, status: 'shipped', invoice_no: 'FP-20250001' },
  { id: 'SO-1002', customer: 'Beifang Logistics', product_id: 'P-100', quantity: 40, amount_cny: 1200, status: 'pending' },
  { id: 'SO-1003', customer: 'Lanting Design', product_id: 'P-300', quantity: 5, amount_cny: 1000, status: 'delivered', invoice_no: 'FP-20250002' },
  { id: 'SO-1004', customer: 'Jinhe Foods', product_id: 'P-400', quantity: 5, amount_cny: 600, status: 'delivered', invoice_no: 'FP-20250003' },
  { id: 'SO-1005', customer: 'Donghai Shipping', product_id: 'P-300', quantity: 60, amount_cny: 12000, status: 'shipped', invoice_no: 'FP-20250004' },
  { id: 'SO-1006', customer: 'Xiyu Retail', product_id: 'P-100', quantity: 10, amount_cny: 300, status: 'cancelled' },
];

/**
 * The finance agent's refund rules. The webhook names the asker's manager only by name, so the
 * approver is fixed here rather than guessed from a name: the head of finance, u_wang, who in
 * the demo organisation (agents/demo/seed.ts) is also every asker's manager.
 */
export const REFUND_POLICY = {
  /** Refunds up to and including this the finance agent approves itself. */
  approval_limit_cny: 1000,
  approver: { id: 'u_wang', name: 'Wang Fang' },
  payout: '3–5 working days',
} as const;

export const INVOICE_POLICY = 'Invoices are issued within 3 working days of shipping';

/** Market figures for the research agent's briefs: made up for the demo, by product category. */
export interface Market {
  category: string;
  name: string;
  size_cny_bn: number;
  growth_pct: number;
  buyers: string;
  takeaway: string;
}

export const MARKETS: readonly Market[] = [
  { category: 'collaboration', name: 'Team collaboration', size_cny_bn: 48, growth_pct: 12, buyers: 'mid-size firms replacing e-mail', takeaway: 'lead with MChat Business: agents are what sets it apart' },
  { category: 'ai', name: 'AI agents for business', size_cny_bn: 21, growth_pct: 45, buyers: 'operations and finance teams', takeaway: 'sell Agent Studio on relays with human approval' },
  { category: 'security', name: 'Compliance and retention', size_cny_bn: 15, growth_pct: 9, buyers: 'regulated industries', takeaway: 'bundle the Compliance Pack with every Business deal in finance' },
];
