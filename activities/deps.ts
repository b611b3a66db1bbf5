import type { Models } from '../store/db.js';
import type { Locks } from '../store/locks.js';
import type { MessageStore } from '../store/messages.js';
import type { Publisher } from '../store/publisher.js';

/** Per-agent rate limit and the sensitive-word filter on agent output (lib/guards.ts in the worker). */
export interface AgentGuards {
  take(agentId: string): Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
  filter(text: string): string;
}

export const NO_GUARDS: AgentGuards = { take: async () => ({ ok: true }), filter: (text) => text };

export interface ActivityDeps {
  m: Models;
  store: MessageStore;
  publisher: Publisher;
  guards?: AgentGuards;
  /** How long an approver has before the task goes to their manager. */
  approvalTimeoutMs?: number;
  /** How long a hand-off waits for its colleague's first word before it escalates; 0: never. */
  handoffPickupMs?: number;
  /** Takes hand-offs from agents without a manager. */
  onDutyEmployee?: string;
  /** Keeps two hand-offs of one conversation from both opening. */
  locks?: Locks;
}

/** Runs the work unguarded: one process, or tests. */
export const NO_LOCKS: Locks = { hold: async (_key, _holder, work) => ({ ok: true, value: await work() }) };

