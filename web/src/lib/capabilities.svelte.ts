import type { CapabilityCard, ConversationSummary, PublicProfile } from '$schemas';
import type { Session, SessionListener } from './session.svelte';

export interface AgentSkill {
  agent: PublicProfile;
  card: CapabilityCard;
}

/** The agents' capability cards, and which agents take part in a conversation. */
export class Capabilities implements SessionListener {
  skills = $state<AgentSkill[]>([]);
  /** The members of the groups looked at, by conversation id. */
  #members = $state<Record<string, string[]>>({});

  readonly #session: Session;

  constructor(session: Session) {
    this.#session = session;
  }

  event(): void {}

  #asked = 0;
  /**
   * Reads the skills again if there are none (the read at connection failed, say), at most every
   * few seconds: the `@` autocomplete and the skills panel must not stay empty for a whole session.
   */
  ensure(): void {
    if (this.skills.length || Date.now() - this.#asked < 5_000) return;
    void this.#session.attempt(() => this.online());
  }

  /** Read at every (re)connection: agents and their skills change while a tab stays open. */
  async online(): Promise<void> {
    this.#asked = Date.now();
    const { capabilities } = await this.#session.request('agent.capabilities', {});
    this.skills = capabilities.flatMap(({ card, agents }) => agents.map((agent) => ({ agent, card })));
  }

  /** Looks up a group's members once, so its agents can be shown. */
  async follow(conversation: ConversationSummary): Promise<void> {
    const id = conversation.conversation_id;
    if (!conversation.group_id || this.#members[id]) return;
    const { group } = await this.#session.request('group.get', { id: conversation.group_id });
    this.#members[id] = group.members;
  }

  /** The agents of `conversation`, each with its cards: the peer of a direct chat, a group's member agents. */
  agentsOf(conversation: ConversationSummary | undefined): { agent: PublicProfile; cards: CapabilityCard[] }[] {
    if (!conversation) return [];
    const ids = conversation.group_id ? (this.#members[conversation.conversation_id] ?? []) : conversation.peer_id ? [conversation.peer_id] : [];
    const here = this.skills.filter(({ agent }) => ids.includes(agent.id));
    const agents = here.map((s) => s.agent).filter((a, i, all) => all.findIndex((b) => b.id === a.id) === i);
    return agents.map((agent) => ({ agent, cards: here.filter((s) => s.agent.id === agent.id).map((s) => s.card) }));
  }
}
