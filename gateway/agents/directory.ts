import type { Employee, Message } from '../../schemas/index.js';
import type { Logger } from '../../lib/logger.js';
import type { Models } from '../../store/db.js';
import { agentSnapshot, routeMessage, type AgentSnapshot, type Route } from './routing.js';

/** Starts the agent work a stored message calls for, if any (what `msg.send` calls). */
export interface AgentDispatcher {
  dispatch(message: Message): Promise<void>;
}

/** Starts the agent work of a message already routed (the dispatch queue, then Temporal). */
export interface RouteDispatcher {
  dispatch(message: Message, route: Route): Promise<void>;
}

/**
 * The active agents, kept in memory so that routing a message costs no database read. Re-read
 * every `refreshMs`, and at once when this process changed an agent; another gateway's change
 * shows within one period.
 */
export class AgentDirectory {
  private snapshot: AgentSnapshot = new Map();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly m: Models, private readonly log: Logger, private readonly refreshMs: number) {}

  async refresh(): Promise<void> {
    const agents = await this.m.Employee.find(
      { is_ai_agent: true, status: 'active' },
      { _id: 0, id: 1, name: 1, 'agent_profile.trigger_keywords': 1, 'agent_profile.capabilities': 1 },
    ).lean<Pick<Employee, 'id' | 'name' | 'agent_profile'>[]>();
    this.snapshot = agentSnapshot(agents);
  }

  /** Reads the agents once, then again in the background; a failed read keeps the last snapshot. */
  async start(): Promise<void> {
    const tick = () => this.refresh().catch((err: unknown) => this.log.warn({ err }, 'could not refresh the agent directory'));
    await tick();
    this.timer = setInterval(() => void tick(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  route(message: Message): Route | undefined {
    return routeMessage(message, this.snapshot);
  }
}

/**
 * Routes each stored message once, from memory, and queues only those that address an agent with
 * their route; everything else costs nothing more.
 */
export function routedDispatcher(directory: AgentDirectory, queue: RouteDispatcher): AgentDispatcher {
  return {
    async dispatch(message) {
      const route = directory.route(message);
      if (route) await queue.dispatch(message, route);
    },
  };
}
