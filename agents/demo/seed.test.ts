import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyPassword } from '../../lib/auth.js';
import { connectDb, models, type Models } from '../../store/db.js';
import { REFUND_POLICY } from './data.js';
import { DEMO_AGENT_IDS, DEMO_AGENT_PATHS, demoAgentSecret } from './roster.js';
import { DEMO_LOGINS, seedDemo } from './seed.js';

/** Against the run's real database, in a database of this file's own. */
describe('seedDemo', () => {
  let db: Connection;
  let m: Models;
  const opts = { agentUrl: 'http://127.0.0.1:8090', agentSecret: 'demo-service-secret-0123456789', password: 'demo-password' };
  const employee = (id: string) => m.Employee.findOne({ id }).lean();
  const apiSecret = async (id: string) => (await m.Credential.findOne({ employee_id: id }).lean())?.api_secret;

  beforeAll(async () => {
    db = await connectDb(inject('services').mongoUrl.replace(/\/mchat$/, `/t_seed_${Date.now()}`));
    m = models(db);
    await seedDemo(m, opts);
  });
  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await db?.close();
  });

  it('keeps the demo logins working', async () => {
    for (const id of DEMO_LOGINS) {
      const hash = (await m.Credential.findOne({ employee_id: id }).lean())?.password_hash;
      expect(hash && (await verifyPassword(opts.password, hash)), id).toBe(true);
    }
  });

  it('wires every demo agent to its path on the demo service, with a secret of its own', async () => {
    const secrets = new Set<string>();
    for (const id of DEMO_AGENT_IDS) {
      const agent = await employee(id);
      expect(agent, id).toMatchObject({ is_ai_agent: true, status: 'active', agent_profile: { webhook_endpoint: `${opts.agentUrl}${DEMO_AGENT_PATHS[id]}` } });
      expect(await apiSecret(id)).toBe(demoAgentSecret(opts.agentSecret, id));
      secrets.add((await apiSecret(id))!);
    }
    expect(secrets.size).toBe(DEMO_AGENT_IDS.length);
    expect(secrets.has(opts.agentSecret)).toBe(false);
  });

  it('gives the finance and research agents capability cards with their triggers, and a human manager to hand off to', async () => {
    // Each capability card carries the keywords that route to it.
    const keywords = async (id: string) => (await employee(id))?.agent_profile?.capabilities.flatMap((c) => c.trigger_keywords);
    expect(await keywords('a_finance')).toEqual(expect.arrayContaining(['退款', 'refund', '发票', 'invoice']));
    expect(await keywords('a_research')).toEqual(expect.arrayContaining(['调研', 'research']));
    for (const id of DEMO_AGENT_IDS) {
      const manager = await employee((await employee(id))!.manager_id!);
      expect(manager?.is_ai_agent, id).toBe(false);
    }
  });

  it('puts each agent in the groups it auto-joins', async () => {
    for (const id of DEMO_AGENT_IDS) {
      for (const group of (await employee(id))!.agent_profile!.auto_join_groups) {
        expect((await m.Group.findOne({ id: group }).lean())?.members, `${id} in ${group}`).toContain(id);
      }
    }
    // Tests cap groups at 3 members and rely on the sales team having exactly these.
    expect((await m.Group.findOne({ id: 'g_sales' }).lean())?.members).toEqual(['u_wang', 'u_li', 'a_sales']);
  });

  it('the finance agent\'s refund approver heads finance and manages the people who ask', async () => {
    const { id, name } = REFUND_POLICY.approver;
    expect((await employee(id))?.name).toBe(name);
    expect((await m.Department.findOne({ id: 'dep_finance' }).lean())?.head_id).toBe(id);
    for (const asker of ['u_li', 'u_zhang']) expect((await employee(asker))?.manager_id).toBe(id);
  });

  it('is safe to run again, and then follows the demo service\'s new URL and secret', async () => {
    const again = { ...opts, agentUrl: 'http://demo-agent:8090', agentSecret: 'another-service-secret-0123456789' };
    await seedDemo(m, again);
    expect(await m.Employee.countDocuments({ id: { $in: DEMO_AGENT_IDS } })).toBe(DEMO_AGENT_IDS.length);
    expect(await m.Group.countDocuments({})).toBe(2);
    for (const id of DEMO_AGENT_IDS) {
      expect((await employee(id))?.agent_profile?.webhook_endpoint).toBe(`${again.agentUrl}${DEMO_AGENT_PATHS[id]}`);
      expect(await apiSecret(id)).toBe(demoAgentSecret(again.agentSecret, id));
    }
  });
});
