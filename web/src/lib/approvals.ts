import type { Task } from '../../../schemas/index.js';

export type TaskBook = Readonly<Record<string, Task>>;

/**
 * The tasks after one arrived — listed, in an event, or as the answer to a decision. A decided or
 * escalated task never goes back to pending: a list read before the decision may arrive after it.
 */
export function upsertTask(book: TaskBook, task: Task): Record<string, Task> {
  const known = book[task.task_id];
  if (known && known.state !== 'pending' && task.state === 'pending') return { ...book };
  return { ...book, [task.task_id]: task };
}

/**
 * The tasks after `task.list` answered with all of `approver`'s pending tasks: one of theirs that
 * was pending here but is not listed was settled elsewhere, so it leaves the pending ones.
 */
export function applyPendingList(book: TaskBook, approver: string, listed: readonly Task[]): Record<string, Task> {
  const ids = new Set(listed.map((t) => t.task_id));
  const kept = Object.fromEntries(
    Object.entries(book).filter(([id, t]) => ids.has(id) || t.approver_id !== approver || t.state !== 'pending'),
  );
  return listed.reduce(upsertTask, kept);
}

/** What `approver` still has to decide, the most urgent first. */
export function pendingFor(book: TaskBook, approver: string): Task[] {
  return Object.values(book)
    .filter((t) => t.approver_id === approver && t.state === 'pending')
    .sort((a, b) => a.due_at - b.due_at || a.created_at - b.created_at);
}

/** `approver`'s tasks settled while the app was open, the latest first. */
export function settledFor(book: TaskBook, approver: string): Task[] {
  const settledAt = (t: Task) => t.decision?.ts ?? t.due_at;
  return Object.values(book)
    .filter((t) => t.approver_id === approver && t.state !== 'pending')
    .sort((a, b) => settledAt(b) - settledAt(a));
}

/** How a task ended, from the point of view of `me`; the components say it in the reader's language. */
export type Outcome =
  | { state: 'escalated' | 'pending' }
  | { state: 'approved' | 'rejected'; by: { me: true } | { me: false; id: string } | undefined };

export function outcomeOf(task: Task, me: string): Outcome {
  if (task.state === 'escalated' || task.state === 'pending') return { state: task.state };
  const by = task.decision ? (task.decision.by === me ? { me: true as const } : { me: false as const, id: task.decision.by }) : undefined;
  return { state: task.state, by };
}
