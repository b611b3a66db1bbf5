import { describe, expect, it } from 'vitest';
import type { Employee, Message } from '../../schemas/index.js';
import type { Models } from '../../store/db.js';
import { createLogger } from '../../lib/logger.js';
import { AgentDirectory, routedDispatcher } from './directory.js';

type Row = Pick<Employee, 'id' | 'agent_profile'>;

/** Just enough of the Employee model for the directory: one query, counted. */
function fakeModels(rows: () => Row[]) {
  const counter = { reads: 0 };
  const m = { Employee: { find: () => ({ lean: async () => (counter.reads++, rows()) }) } } as unknown as Models;
  return { m, counter };
}

const agent = (id: string, trigger_keywords: string[] = []): Row => ({
  id, agent_profile: { model_type: 't', webhook_endpoint: 'http://x', response_timeout: 1_000, capabilities: [], trigger_keywords, auto_join_groups: [] },
});
const message = (conversation_id: string, text: string, from = 'u_li'): Message => ({
  msg_id: `m-${text}`, conversation_id, seq: 1, from, ts: 1, kind: 'text', client_msg_id: 'c', body: { text, mentions: [], attachments: [] },
});

describe('routing from the in-memory agent directory', () => {
  it('queues only messages that address an agent, without reading the database per message', async () => {
    let rows = [agent('a_sales', ['查订单'])];
    const { m, counter } = fakeModels(() => rows);
    const directory = new AgentDirectory(m, createLogger('test', 'silent'), 60_000);
    await directory.start();
    const queued: string[] = [];
    const routes: string[][] = [];
    const dispatch = routedDispatcher(directory, {
      dispatch: async (msg, route) => {
        queued.push(msg.body.text!);
        routes.push(route.agents);
      },
    });
    for (let i = 0; i < 50; i++) await dispatch.dispatch(message('d:u_li:u_wang', `hello ${i}`));
    await dispatch.dispatch(message('g:g1', '帮我查订单 SO-1'));
    await dispatch.dispatch(message('d:a_sales:u_li', 'hi'));
    await dispatch.dispatch(message('d:a_sales:u_li', 'from the agent', 'a_sales'));
    await dispatch.dispatch(message('d:a_ops:u_li', 'not yet an agent'));
    expect(queued).toEqual(['帮我查订单 SO-1', 'hi']);
    expect(routes).toEqual([['a_sales'], ['a_sales']]);
    expect(counter.reads).toBe(1);

    // A new agent is seen after a refresh (periodic, or at once after an admin op here).
    rows = [...rows, agent('a_ops')];
    await directory.refresh();
    await dispatch.dispatch(message('d:a_ops:u_li', 'now an agent'));
    expect(queued.at(-1)).toBe('now an agent');
    directory.stop();
  });
});
