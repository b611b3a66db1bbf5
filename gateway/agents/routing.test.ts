import { describe, expect, it } from 'vitest';
import { directConversationId, Employee, groupConversationId, Message } from '../../schemas/index.js';
import { agentSnapshot, interactionWorkflowId, isHandoffCommand, routeMessage } from './routing.js';

const hook = 'http://127.0.0.1:8090/agents/x';
const agent = (id: string, trigger_keywords: string[] = [], capabilities: string[] = []) =>
  Employee.parse({
    id, name: id, department_id: null, manager_id: null, is_ai_agent: true,
    agent_profile: { model_type: 'llm', webhook_endpoint: hook, trigger_keywords, capabilities },
  });

// The snapshot holds active agents only: a disabled agent is simply not in it.
const snapshot = agentSnapshot([agent('a_sales', ['查订单', 'Order']), agent('a_ops', ['deploy'], ['incident_triage']), agent('a_sales_eu')]);

const message = (conversation_id: string, text: string | undefined, mentions: string[] = [], from = 'u_li', kind: Message['kind'] = 'text'): Message =>
  Message.parse({
    msg_id: 'm1', conversation_id, seq: 1, from, ts: 1, kind, client_msg_id: 'c1',
    body: text === undefined ? { card: { title: 'c' }, mentions } : { text, mentions },
  });
const group = (text: string | undefined, mentions: string[] = [], from = 'u_li') => message(groupConversationId('g1'), text, mentions, from);
const agentsOf = (m: Message) => routeMessage(m, snapshot)?.agents.sort();

describe('routing in a direct chat', () => {
  it('addresses the agent on the other side, whatever the text', () => {
    expect(agentsOf(message(directConversationId('u_li', 'a_sales'), 'hello'))).toEqual(['a_sales']);
    expect(agentsOf(message(directConversationId('u_li', 'a_sales'), undefined))).toEqual(['a_sales']);
  });
  it('addresses nobody between two humans, keywords or not', () => {
    expect(routeMessage(message(directConversationId('u_li', 'u_wang'), '查订单 SO-1001'), snapshot)).toBeUndefined();
  });
  it('ignores an agent that is not in the snapshot (disabled)', () => {
    expect(routeMessage(message(directConversationId('u_li', 'a_off'), 'deploy'), snapshot)).toBeUndefined();
  });
  it('an agent writing to a human triggers nothing', () => {
    expect(routeMessage(message(directConversationId('u_li', 'a_sales'), 'hi', [], 'a_sales'), snapshot)).toBeUndefined();
  });
  it('system notices trigger nothing', () => {
    expect(routeMessage(message(directConversationId('u_li', 'a_sales'), 'released', [], 'u_li', 'system'), snapshot)).toBeUndefined();
  });
  it('a hand-off command asks for a human instead', () => {
    expect(routeMessage(message(directConversationId('u_li', 'a_sales'), '转人工'), snapshot)).toEqual({ agents: ['a_sales'], handoff: true });
    expect(routeMessage(message(directConversationId('u_li', 'a_sales'), ' /human please'), snapshot)?.handoff).toBe(true);
    expect(routeMessage(message(directConversationId('u_li', 'a_sales'), 'no human needed'), snapshot)?.handoff).toBe(false);
  });
});

describe('routing in a group', () => {
  it('addresses nobody without a mention or keyword', () => {
    expect(routeMessage(group('good morning'), snapshot)).toBeUndefined();
    expect(routeMessage(group(undefined), snapshot)).toBeUndefined();
  });
  it('addresses agents mentioned in body.mentions', () => {
    expect(agentsOf(group('please help', ['a_sales']))).toEqual(['a_sales']);
    expect(agentsOf(group('please help', ['a_sales', 'a_ops']))).toEqual(['a_ops', 'a_sales']);
  });
  it('addresses agents @-mentioned in the text, case-insensitively', () => {
    expect(agentsOf(group('@a_ops can you look?'))).toEqual(['a_ops']);
    expect(agentsOf(group('hey @A_SALES'))).toEqual(['a_sales']);
  });
  it('a bare id without @ is not a mention', () => {
    expect(routeMessage(group('a_ops is great'), snapshot)).toBeUndefined();
  });
  it('addresses agents whose trigger keyword or capability appears, case-insensitively', () => {
    expect(agentsOf(group('帮我查订单 SO-1001'))).toEqual(['a_sales']);
    expect(agentsOf(group('where is my ORDER?'))).toEqual(['a_sales']);
    expect(agentsOf(group('please Deploy now'))).toEqual(['a_ops']);
    expect(agentsOf(group('who does incident_triage?'))).toEqual(['a_ops']);
  });
  it('returns each addressed agent once even when addressed several ways', () => {
    expect(agentsOf(group('@a_sales 查订单', ['a_sales']))).toEqual(['a_sales']);
  });
  it('never returns humans, even mentioned ones', () => {
    expect(routeMessage(group('@u_wang hi', ['u_wang']), snapshot)).toBeUndefined();
    expect(agentsOf(group('@u_wang @a_sales', ['u_wang', 'u_li']))).toEqual(['a_sales']);
  });
  it('an agent sender never triggers agents, even with mentions and keywords', () => {
    expect(routeMessage(group('@a_ops deploy 查订单', ['a_ops', 'a_sales'], 'a_sales'), snapshot)).toBeUndefined();
  });
  it('an @-mention of a longer id (@a_sales_eu) does not also address a_sales', () => {
    expect(agentsOf(group('@a_sales_eu how are things?'))).toEqual(['a_sales_eu']);
  });
  it('@relay:<id> names a relay', () => {
    expect(routeMessage(group('@relay:refunds SO-1001 please'), snapshot)).toEqual({ agents: [], handoff: false, relay_id: 'refunds' });
  });
  it('a hand-off command after a mention asks for a human', () => {
    expect(routeMessage(group('@a_sales 转人工'), snapshot)).toEqual({ agents: ['a_sales'], handoff: true });
  });
});

describe('routing by display name and capability cards', () => {
  const finance = Employee.parse({
    id: 'a_finance', name: '报销机器人', department_id: null, manager_id: null, is_ai_agent: true,
    agent_profile: {
      model_type: 'llm', webhook_endpoint: hook,
      capabilities: [{ id: 'refund_approval', name: '退款审批', trigger_keywords: ['refund'] }, '发票查询'],
    },
  });
  const bot = Employee.parse({ id: 'a_bot', name: 'Bot', department_id: null, manager_id: null, is_ai_agent: true, agent_profile: { model_type: 'llm', webhook_endpoint: hook } });
  const cards = agentSnapshot([finance, bot]);
  const to = (text: string) => routeMessage(group(text), cards)?.agents.sort();
  it('an @ of the display name addresses the agent as its id does, with or without a space after it', () => {
    expect(to('@报销机器人 这张发票能报吗')).toEqual(['a_finance']);
    expect(to('@报销机器人帮我看看')).toEqual(['a_finance']);
    expect(to('@a_finance hi')).toEqual(['a_finance']);
    expect(to('@bot, hello')).toEqual(['a_bot']);
    expect(to('@botany is a science')).toBeUndefined();
  });
  it("a reply quoting an agent's answer goes to that agent; quoting a person's addresses nobody", () => {
    const reply = (quote_from: string) => routeMessage(Message.parse({ ...group('thanks, and the other one?'), quote_from }), cards)?.agents;
    expect(reply('a_finance')).toEqual(['a_finance']);
    expect(reply('u_wang')).toBeUndefined();
  });
  it("a capability's name or its own keywords in the text address its agent", () => {
    expect(to('我想申请退款审批')).toEqual(['a_finance']);
    expect(to('a refund please')).toEqual(['a_finance']);
    expect(to('帮我发票查询')).toEqual(['a_finance']);
    expect(to('没有关键词')).toBeUndefined();
  });
});

describe('hand-off commands', () => {
  it('are recognised at the start of the text only', () => {
    expect(isHandoffCommand('转人工')).toBe(true);
    expect(isHandoffCommand('/HANDOFF now')).toBe(true);
    expect(isHandoffCommand('please /human')).toBe(false);
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
  });
});
