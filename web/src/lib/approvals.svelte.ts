import type { Event, Task } from '$schemas';
import { applyPendingList, pendingFor, settledFor, upsertTask } from './approvals';
import { errorText, type Session, type SessionListener } from './session.svelte';

export type Decision = 'approve' | 'reject';

/**
 * Approval tasks: the signed-in employee's pending ones (listed on every connection, then live
 * from `task` events), and any other task an event told us about, so a workflow can name its approver.
 */
export class Approvals implements SessionListener {
  book = $state<Record<string, Task>>({});
  /** Why the pending tasks could not be listed, until they can. */
  error = $state<string | null>(null);
  loaded = $state(false);
  /** Decisions on their way, by task id. */
  deciding = $state<Record<string, Decision>>({});
  /** Why a decision failed, by task id. */
  refusals = $state<Record<string, string>>({});

  readonly pending = $derived(pendingFor(this.book, this.#me));
  readonly settled = $derived(settledFor(this.book, this.#me));

  readonly #session: Session;

  constructor(session: Session) {
    this.#session = session;
  }

  get #me(): string {
    return this.#session.me.id;
  }

  online(): Promise<void> {
    return this.load();
  }

  async load(): Promise<void> {
    try {
      const { tasks } = await this.#session.request('task.list', { state: 'pending' });
      this.book = applyPendingList(this.book, this.#me, tasks);
      this.error = null;
      this.loaded = true;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  event(event: Event): void {
    if (event.type === 'task') this.book = upsertTask(this.book, event.task);
  }

  /** Sends the decision; resolves true once the gateway took it. */
  async decide(taskId: string, decision: Decision, comment: string): Promise<boolean> {
    if (this.deciding[taskId]) return false;
    this.deciding[taskId] = decision;
    delete this.refusals[taskId];
    try {
      const text = comment.trim();
      const { task } = await this.#session.request('task.decide', { task_id: taskId, decision, ...(text ? { comment: text } : {}) });
      this.book = upsertTask(this.book, task);
      return true;
    } catch (err) {
      this.refusals[taskId] = errorText(err);
      return false;
    } finally {
      delete this.deciding[taskId];
    }
  }
}
