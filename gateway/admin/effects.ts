import { offeredSkills, publicProfile, topics, type Employee } from '../../schemas/index.js';
import type { Models } from '../../store/db.js';
import type { Logger } from '../../lib/logger.js';
import type { Publisher } from '../../store/publisher.js';
import { loadOrgTree } from './org.js';

/** What the broker must do when the organisation changes under live connections. */
export interface LiveAcl {
  /** Reload what these employees may read now (group joins and leaves). */
  refresh(employeeIds: readonly string[]): Promise<void>;
  /** Drop every connection of a disabled employee. */
  disconnect(employeeId: string): void;
}

/** Announcements of organisation changes: retained state topics and notices. */
export class OrgAnnouncer {
  constructor(
    private readonly m: Models,
    private readonly publisher: Publisher,
    private readonly acl: LiveAcl,
    private readonly log: Logger,
  ) {}

  async orgTree(): Promise<void> {
    const tree = await loadOrgTree(this.m);
    await this.publisher.publish(topics.orgTree(), { v: 1, ts: Date.now(), ...tree }, { qos: 1, retain: true });
  }

  async profile(employee: Employee): Promise<void> {
    await this.publisher.publish(topics.profile(employee.id), { v: 1, ...publicProfile(employee) }, { qos: 1, retain: true });
  }

  async joined(employee: Employee): Promise<void> {
    const kind = employee.is_ai_agent ? 'agent_joined' : 'employee_joined';
    const text = `${employee.name} joined${employee.title ? ` as ${employee.title}` : ''}`;
    await this.publisher.publish(topics.systemNotify(), { v: 1, type: 'notify', kind, text, data: publicProfile(employee) }, { qos: 1 });
  }

  /** Retained per skill: its card and every active agent offering it; no card once nobody does. */
  async capabilities(skills: readonly string[]): Promise<void> {
    const wanted = new Set(skills);
    if (wanted.size === 0) return;
    const agents = await this.m.Employee.find({ is_ai_agent: true, status: 'active' }, { _id: 0 }).lean<Employee[]>();
    const offered = new Map(offeredSkills(agents).map((s) => [s.skill, s]));
    for (const skill of wanted) {
      const state = offered.get(skill) ?? { skill, agents: [] };
      await this.publisher.publish(topics.capability(skill), { v: 1, ...state }, { qos: 1, retain: true });
    }
  }

  /**
   * Someone joined or left a group: the broker re-reads what they may receive, and each is told
   * in their inbox, so a client subscribes to (or forgets) the group without reloading.
   */
  async groupMembership(group: { id: string; name: string }, change: { added?: readonly string[]; removed?: readonly string[] }): Promise<void> {
    const added = change.added ?? [];
    const removed = change.removed ?? [];
    await this.acl.refresh([...added, ...removed]);
    const tell = (ids: readonly string[], kind: 'group_joined' | 'group_left', verb: string) =>
      ids.map((id) =>
        this.publisher.publish(
          topics.inbox(id),
          { v: 1, type: 'notify', kind, text: `You ${verb} ${group.name}`, data: { group_id: group.id, conversation_id: `g:${group.id}` } },
          { qos: 1 },
        ),
      );
    await Promise.all([...tell(added, 'group_joined', 'joined'), ...tell(removed, 'group_left', 'left')]);
  }

  disconnect(employeeId: string): void {
    this.acl.disconnect(employeeId);
  }

  /** Announcements follow a committed change: a failure is logged, never turned into a refusal. */
  async settle(work: Promise<unknown>[]): Promise<void> {
    for (const r of await Promise.allSettled(work)) {
      if (r.status === 'rejected') this.log.error({ err: r.reason }, 'could not announce an organisation change');
    }
  }
}
