import { Department, Employee, Group } from '../../schemas/index.js';
import { hashPassword } from '../../lib/auth.js';
import { isDuplicateKey } from '../../store/bulk.js';
import { setCredentials } from '../../store/credentials.js';
import type { Models } from '../../store/db.js';
import { DEMO_AGENT_PATHS, demoAgentSecret, type DemoAgentId } from './roster.js';

export interface DemoSeedOptions {
  /** Base URL of the demo agent service, e.g. http://127.0.0.1:8090 */
  agentUrl: string;
  /** DEMO_AGENT_SECRET: each demo agent's own API secret is derived from it (agents/demo/roster.ts). */
  agentSecret: string;
  /** The demo password of every seeded person (a local demo, never production). */
  password: string;
}

const DEPARTMENTS = [
  { id: 'dep_sales', name: 'Sales', parent_id: null, head_id: 'u_wang' },
  { id: 'dep_finance', name: 'Finance', parent_id: null, head_id: 'u_wang' },
].map((d) => Department.parse(d));

function people(agentUrl: string) {
  const webhook = (id: DemoAgentId) => `${agentUrl}${DEMO_AGENT_PATHS[id]}`;
  return [
    { id: 'u_wang', name: 'Wang Fang', title: 'Head of Sales & Finance', department_id: 'dep_sales', manager_id: null, role: 'admin', skills_badge: ['management'] },
    { id: 'u_li', name: 'Li Lei', title: 'Account Manager', department_id: 'dep_sales', manager_id: 'u_wang', skills_badge: ['negotiation'] },
    { id: 'u_zhang', name: 'Zhang Wei', title: 'Accountant', department_id: 'dep_finance', manager_id: 'u_wang', skills_badge: ['invoicing'] },
    {
      id: 'a_sales', name: 'Sales Assistant', title: 'AI sales assistant', department_id: 'dep_sales', manager_id: 'u_wang',
      is_ai_agent: true, skills_badge: ['orders', 'recommendation'],
      agent_profile: {
        model_type: 'rule-based-demo',
        capabilities: [
          { id: 'order_lookup', name: '订单查询', description: '按订单号查状态、金额和物流', examples: ['查订单 SO-1001'], trigger_keywords: ['查订单', 'order status'] },
          { id: 'product_recommendation', name: '产品推荐', description: '按需求推荐合适的产品', examples: ['推荐 适合小团队的方案'], trigger_keywords: ['推荐'] },
        ],
        webhook_endpoint: webhook('a_sales'),
        response_timeout: 10,
        auto_join_groups: ['g_sales'],
      },
    },
    {
      id: 'a_finance', name: 'Finance Assistant', title: 'AI finance assistant', department_id: 'dep_finance', manager_id: 'u_wang',
      is_ai_agent: true, skills_badge: ['refunds', 'invoicing'],
      agent_profile: {
        model_type: 'rule-based-demo',
        capabilities: [
          { id: 'refund_approval', name: '退款审批', description: '退款申请；¥1000 以上交主管审批', examples: ['退款 SO-1002'], trigger_keywords: ['退款', 'refund'] },
          { id: 'invoice_lookup', name: '发票查询', description: '查订单的发票', examples: ['发票 SO-1001'], trigger_keywords: ['发票', 'invoice'] },
        ],
        webhook_endpoint: webhook('a_finance'),
        response_timeout: 10,
        auto_join_groups: ['g_finance'],
      },
    },
    {
      // Answers asynchronously (202, then a signed callback): the demo of slow agents.
      id: 'a_research', name: 'Research Assistant', title: 'AI market researcher', department_id: 'dep_sales', manager_id: 'u_wang',
      is_ai_agent: true, skills_badge: ['research'],
      agent_profile: {
        model_type: 'rule-based-demo',
        capabilities: [
          { id: 'market_research', name: '市场调研', description: '调研一个主题，稍后给出报告', examples: ['调研 ai'], trigger_keywords: ['调研', 'research'] },
        ],
        webhook_endpoint: webhook('a_research'),
        response_timeout: 10,
        auto_join_groups: [],
      },
    },
  ].map((e) => Employee.parse(e));
}

/** Agents are members of their auto-join groups from the start, as admin.agent.create would make them. */
const GROUPS = [
  { id: 'g_sales', name: 'Sales team', owner_id: 'u_wang', members: ['u_wang', 'u_li', 'a_sales'] },
  { id: 'g_finance', name: 'Finance team', owner_id: 'u_wang', members: ['u_wang', 'u_zhang', 'a_finance'] },
].map((g) => Group.parse(g));

export const DEMO_LOGINS = ['u_wang', 'u_li', 'u_zhang'] as const;

/**
 * The small demo organisation `npm start` shows. Safe to run on every start: it creates what is
 * missing and never overwrites what people changed, except the agent wiring, which follows the
 * running demo agent.
 */
export async function seedDemo(m: Models, opts: DemoSeedOptions): Promise<void> {
  const hash = await hashPassword(opts.password);
  const now = Date.now();
  for (const d of DEPARTMENTS) await insertIfMissing(m.Department, d);
  for (const e of people(opts.agentUrl)) {
    await insertIfMissing(m.Employee, { ...e, created_at: now });
    if (e.agent_profile) await m.Employee.updateOne({ id: e.id }, { $set: { agent_profile: e.agent_profile } });
    if (e.is_ai_agent) await setCredentials(m, [{ employee_id: e.id, set: { api_secret: demoAgentSecret(opts.agentSecret, e.id) } }]);
    else await insertIfMissing(m.Credential, { employee_id: e.id, password_hash: hash }, 'employee_id');
  }
  for (const g of GROUPS) await insertIfMissing(m.Group, { ...g, created_at: now });
}

/**
 * Plain inserts, not upserts with $setOnInsert: FerretDB 1.x drops null fields there, and a
 * department without `parent_id` is not one the schema accepts.
 */
async function insertIfMissing<T extends object>(model: { exists(f: object): Promise<unknown>; create(doc: T): Promise<unknown> }, doc: T, key = 'id'): Promise<void> {
  const filter = { [key]: (doc as Record<string, unknown>)[key] };
  if (await model.exists(filter)) return;
  try {
    await model.create(doc);
  } catch (err) {
    // Another process seeding at the same moment got there first.
    if (!isDuplicateKey(err)) throw err;
  }
}
