import type { Employee, Message } from '../schemas/index.js';
import { escapeRegex } from '../lib/text.js';

/**
 * Which agents a stored message addresses: in a direct chat the agent on the other side; in a
 * group the agents it @-mentions or whose trigger keywords it contains. An agent's own messages
 * never trigger another agent here (relays are explicit, in workflows), so agents cannot loop.
 */
export function addressedAgents(msg: Message, sender: Employee, candidates: readonly Employee[]): Employee[] {
  if (sender.is_ai_agent) return [];
  const agents = candidates.filter((c) => c.is_ai_agent && c.status === 'active' && c.id !== sender.id);
  if (msg.conversation_id.startsWith('d:')) return agents;
  const text = msg.body.text ?? '';
  const lower = text.toLowerCase();
  return agents.filter(
    (a) =>
      msg.body.mentions.includes(a.id) ||
      mentionPattern(a.id).test(text) ||
      (a.agent_profile?.trigger_keywords ?? []).some((k) => lower.includes(k.toLowerCase())),
  );
}

/** `@id` as a whole token: `@a_sales_eu` does not mention `a_sales`. */
function mentionPattern(id: string): RegExp {
  return new RegExp(`@${escapeRegex(id)}(?![A-Za-z0-9_.:-])`, 'i');
}

/** Derived from the message, so a redelivered message can never start the same interaction twice. */
export function interactionWorkflowId(msgId: string, agentId: string): string {
  return `interaction:${msgId}:${agentId}`;
}
