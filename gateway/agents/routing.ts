import { capabilityCards, HANDOFF_COMMANDS, parseConversationId, RELAY_MENTION, type Employee, type Message } from '../../schemas/index.js';

/** What routing needs to know of one active agent, lower-cased once when the snapshot is taken. */
export interface RoutableAgent {
  id: string;
  /** `@` and this: the display name, so `@报销机器人` addresses it as `@a_finance` does. */
  mention: string;
  /** Trigger keywords, and each capability's id, name and keywords: any in a group message addresses the agent. */
  triggers: string[];
}

/** The active agents at one moment, by lower-cased id. */
export type AgentSnapshot = ReadonlyMap<string, RoutableAgent>;

export function agentSnapshot(agents: readonly Pick<Employee, 'id' | 'name' | 'agent_profile'>[]): AgentSnapshot {
  return new Map(agents.map((a) => {
    const cards = capabilityCards(a.agent_profile?.capabilities ?? []);
    const triggers = [...(a.agent_profile?.trigger_keywords ?? []), ...cards.flatMap((c) => [c.id, c.name, ...c.trigger_keywords])];
    return [a.id.toLowerCase(), { id: a.id, mention: `@${a.name}`.toLowerCase(), triggers: [...new Set(triggers.map((t) => t.toLowerCase()))] }];
  }));
}

/** What a message asks of agents. In a group, `agents` still has to be checked against its members. */
export interface Route {
  agents: string[];
  /** The sender typed a hand-off command: a human colleague, not an agent, should answer. */
  handoff: boolean;
  /** `@relay:<id>`: run that named relay. */
  relay_id?: string;
}

const MENTION = /@([A-Za-z0-9_.:-]+)/g;

export function isHandoffCommand(text: string): boolean {
  // `@a_sales 转人工` in a group: the mention says whom, the command what.
  const t = text.replace(MENTION, '').trim().toLowerCase();
  return HANDOFF_COMMANDS.some((c) => t.startsWith(c));
}

/**
 * Which agents a stored message addresses, decided from memory alone (this runs for every
 * message): in a direct chat the agent on the other side; in a group the agents it @-mentions (by
 * id or display name), whose answer it quotes, or whose trigger keywords or capabilities it
 * contains, or a named relay. Agents' own messages and
 * system notices never address agents, so agents cannot set each other off; relays between agents
 * happen only inside workflows, which count their hops.
 */
export function routeMessage(msg: Message, agents: AgentSnapshot): Route | undefined {
  if (msg.kind === 'system' || agents.has(msg.from.toLowerCase())) return undefined;
  const text = msg.body.text ?? '';
  const handoff = isHandoffCommand(text);
  const ref = parseConversationId(msg.conversation_id);
  if (!ref) return undefined;
  if (ref.kind === 'direct') {
    const peer = agents.get((ref.members[0] === msg.from ? ref.members[1] : ref.members[0]).toLowerCase());
    return peer ? { agents: [peer.id], handoff } : undefined;
  }
  const addressed = new Set<string>();
  let relay_id: string | undefined;
  // A reply quoting an agent's answer goes on with that agent, without a new mention.
  const quoted = msg.quote_from ? agents.get(msg.quote_from.toLowerCase()) : undefined;
  if (quoted) addressed.add(quoted.id);
  for (const id of msg.body.mentions) {
    const a = agents.get(id.toLowerCase());
    if (a) addressed.add(a.id);
  }
  for (const [, token] of text.matchAll(MENTION)) {
    const lower = token!.toLowerCase();
    if (lower.startsWith(RELAY_MENTION) && lower.length > RELAY_MENTION.length) relay_id ??= token!.slice(RELAY_MENTION.length);
    const a = agents.get(lower);
    if (a) addressed.add(a.id);
  }
  const lower = text.toLowerCase();
  for (const a of agents.values()) if (mentionsName(lower, a.mention) || a.triggers.some((t) => lower.includes(t))) addressed.add(a.id);
  if (relay_id) return { agents: [], handoff: false, relay_id };
  return addressed.size ? { agents: [...addressed], handoff } : undefined;
}

/**
 * `@name` in the text, as a whole name: one ending in a Latin letter or digit must not run on into
 * more of an id (`@a_sales` is not in `@a_sales_eu`); a Chinese name needs no space after it.
 */
function mentionsName(lower: string, mention: string): boolean {
  for (let at = lower.indexOf(mention); at >= 0; at = lower.indexOf(mention, at + 1)) {
    if (!/[a-z0-9_.:-]$/.test(mention) || !/^[a-z0-9_.:-]/.test(lower.slice(at + mention.length))) return true;
  }
  return false;
}

/** Derived from the message, so a redelivered message can never start the same interaction twice. */
export function interactionWorkflowId(msgId: string, agentId: string): string {
  return `interaction:${msgId}:${agentId}`;
}

export function handoffWorkflowId(msgId: string): string {
  return `handoff:${msgId}`;
}
