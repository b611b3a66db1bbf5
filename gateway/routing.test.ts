import { describe, expect, it } from 'vitest';
import { directConversationId, Employee, groupConversationId, Message } from '../schemas/index.js';
import { addressedAgents, interactionWorkflowId } from './routing.js';

const hook = 'http://127.0.0.1:8090/agents/x';
const human = (id: string) => Employee.parse({ id, name: id, department_id: null, manager_id: null });
const agent = (id: string, trigger_keywords: string[] = [], status: 'active' | 'disabled' = 'active') =>
  Employee.parse({
    id, name: id, department_id: null, manager_id: null, is_ai_agent: true, status,
    agent_profile: { model_type: 'llm', webhook_endpoint: hook, trigger_keywords },
  });

const li = human('u_li');
const wang = human('u_wang');
const sales = agent('a_sales', ['查订单', 'Order']);
const ops = agent('a_ops', ['deploy']);
const off = agent('a_off', ['deploy'], 'disabled');

const message = (conversation_id: string, text: string | undefined, mentions: string[] = [], from = 'u_li'): Message =>
  Message.parse({
    msg_id: 'm1', conversation_id, seq: 1, from, ts: 1, kind: 'text', client_msg_id: 'c1',
    body: text === undefined ? { card: { title: 'c' }, mentions } : { text, mentions },
  });
const group = (text: string | undefined, mentions: string[] = [], from = 'u_li') => message(groupConversationId('g1'), text, mentions, from);
const ids = (list: Employee[]) => list.map((e) => e.id).sort();
const everyone = [li, wang, sales, ops, off];

describe('addressedAgents in a direct chat', () => {
  it('addresses the agent on the other side, whatever the text', () => {
    expect(ids(addressedAgents(message(directConversationId('u_li', 'a_sales'), 'hello'), li, [li, sales]))).toEqual(['a_sales']);
    expect(ids(addressedAgents(message(directConversationId('u_li', 'a_sales'), undefined), li, [li, sales]))).toEqual(['a_sales']);
  });
  it('addresses nobody between two humans', () => {
    expect(addressedAgents(message(directConversationId('u_li', 'u_wang'), '查订单 SO-1001'), li, [li, wang])).toEqual([]);
  });
  it('ignores a disabled agent', () => {
    expect(addressedAgents(message(directConversationId('u_li', 'a_off'), 'deploy'), li, [li, off])).toEqual([]);
  });
  it('an agent writing to a human triggers nothing', () => {
    expect(addressedAgents(message(directConversationId('u_li', 'a_sales'), 'hi', [], 'a_sales'), sales, [li, sales])).toEqual([]);
  });
});

describe('addressedAgents in a group', () => {
  it('addresses nobody without a mention or keyword', () => {
    expect(addressedAgents(group('good morning'), li, everyone)).toEqual([]);
    expect(addressedAgents(group(undefined), li, everyone)).toEqual([]);
  });
  it('addresses agents mentioned in body.mentions', () => {
    expect(ids(addressedAgents(group('please help', ['a_sales']), li, everyone))).toEqual(['a_sales']);
    expect(ids(addressedAgents(group('please help', ['a_sales', 'a_ops']), li, everyone))).toEqual(['a_ops', 'a_sales']);
  });
  it('addresses agents @-mentioned in the text, case-insensitively', () => {
    expect(ids(addressedAgents(group('@a_ops can you look?'), li, everyone))).toEqual(['a_ops']);
    expect(ids(addressedAgents(group('hey @A_SALES'), li, everyone))).toEqual(['a_sales']);
  });
  it('a bare id without @ is not a mention', () => {
    expect(addressedAgents(group('a_ops is great'), li, everyone)).toEqual([]);
  });
  it('addresses agents whose trigger keyword appears, case-insensitively', () => {
    expect(ids(addressedAgents(group('帮我查订单 SO-1001'), li, everyone))).toEqual(['a_sales']);
    expect(ids(addressedAgents(group('where is my ORDER?'), li, everyone))).toEqual(['a_sales']);
    expect(ids(addressedAgents(group('please Deploy now'), li, everyone))).toEqual(['a_ops']);
  });
  it('returns each addressed agent once even when addressed several ways', () => {
    expect(ids(addressedAgents(group('@a_sales 查订单', ['a_sales']), li, everyone))).toEqual(['a_sales']);
  });
  it('ignores disabled agents, however they are addressed', () => {
    expect(ids(addressedAgents(group('@a_off deploy', ['a_off']), li, everyone))).toEqual(['a_ops']);
  });
  it('never returns humans, even mentioned ones', () => {
    expect(addressedAgents(group('@u_wang order', ['u_wang']), li, [li, wang])).toEqual([]);
    const result = addressedAgents(group('@u_wang @a_sales', ['u_wang', 'u_li']), li, everyone);
    expect(result.every((e) => e.is_ai_agent)).toBe(true);
    expect(ids(result)).toEqual(['a_sales']);
  });
  it('an agent sender never triggers agents, even with mentions and keywords', () => {
    expect(addressedAgents(group('@a_ops deploy 查订单', ['a_ops', 'a_sales'], 'a_sales'), sales, everyone)).toEqual([]);
  });
  it('considers only the candidates given', () => {
    expect(addressedAgents(group('@a_ops', ['a_ops']), li, [li, sales])).toEqual([]);
  });
  it('an @-mention of a longer id (@a_sales_eu) must not also address a_sales', () => {
    const salesEu = agent('a_sales_eu');
    expect(ids(addressedAgents(group('@a_sales_eu how are sales?'), li, [li, sales, salesEu]))).toEqual(['a_sales_eu']);
  });
});

describe('interactionWorkflowId', () => {
  it('is deterministic and depends on both message and agent', () => {
    expect(interactionWorkflowId('m1', 'a_sales')).toBe(interactionWorkflowId('m1', 'a_sales'));
    const all = new Set([
      interactionWorkflowId('m1', 'a_sales'), interactionWorkflowId('m2', 'a_sales'),
      interactionWorkflowId('m1', 'a_ops'), interactionWorkflowId('m2', 'a_ops'),
    ]);
    expect(all.size).toBe(4);
    expect(interactionWorkflowId('m1', 'a_sales')).toContain('m1');
    expect(interactionWorkflowId('m1', 'a_sales')).toContain('a_sales');
  });
});
