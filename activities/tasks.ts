import { ApplicationFailure } from '@temporalio/activity';
import { ulid } from 'ulid';
import type { ApprovalDecided, AuditEntry, Task } from '../schemas/index.js';
import type { DecisionInput } from '../schemas/workflow.js';
import { isDuplicateKey } from '../store/bulk.js';
import type { Common } from './common.js';
import type { ActivityDeps } from './deps.js';

/** Approvals: a task for the approver, announced, decided once and audited, or escalated. */
export function taskActivities({ m, approvalTimeoutMs = 24 * 3600_000 }: ActivityDeps, { employee, activeEmployee, postMessage, toInboxes }: Common) {
  /** Stored, not yet announced: see announceTask. */
  async function newTask(task: Task): Promise<Task> {
    try {
      await m.Task.create(task);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    return (await m.Task.findOne({ task_id: task.task_id }, { _id: 0 }).lean<Task>())!;
  }

  return {
    /** A pending task for the approver (announced by announceTask). */
    async openTask(input: Omit<Task, 'state' | 'created_at' | 'due_at' | 'decision' | 'escalated_from'>): Promise<Task> {
      const approver = await activeEmployee(input.approver_id);
      if (!approver || approver.is_ai_agent) throw ApplicationFailure.nonRetryable(`"${input.approver_id}" is not an active colleague`, 'NoApprover');
      const now = Date.now();
      const task: Task = { ...input, state: 'pending', created_at: now, due_at: now + approvalTimeoutMs };
      return newTask(task);
    },

    /**
     * Tells the approver, in the chat and in their inbox. The workflow calls this only once it
     * waits for the decision, so an approver who answers at once is never refused.
     */
    async announceTask(task: Task): Promise<void> {
      const [approver, before] = await Promise.all([
        employee(task.approver_id),
        task.escalated_from ? m.Task.findOne({ task_id: task.escalated_from }, { approver_id: 1 }).lean<Pick<Task, 'approver_id'>>() : null,
      ]);
      const missed = before ? `${(await employee(before.approver_id)).name} did not answer in time; ` : '';
      await postMessage({
        from: task.requested_by, conversation_id: task.conversation_id, workflow_id: task.workflow_id, key: `task:${task.task_id}`,
        text: `@${approver.id} ${missed}${approver.name}, please approve or reject: ${task.summary}`, mentions: [approver.id],
        notice: { kind: 'approval_requested', approver_id: approver.id, summary: task.summary, ...(before ? { missed_id: before.approver_id } : {}) },
      });
      await toInboxes([approver.id], { v: 1, type: 'task', task });
    },

    /** Records the approver's decision (once), audits it, tells asker and approver, and says it in the chat. */
    async decideTask({ task, decision }: { task: Task; decision: DecisionInput }): Promise<Task> {
      const state = decision.decision === 'approve' ? 'approved' : 'rejected';
      const now = Date.now();
      const record = { by: decision.by, decision: decision.decision, ts: now, ...(decision.comment ? { comment: decision.comment } : {}) };
      await m.Task.updateOne({ task_id: task.task_id, state: 'pending' }, { $set: { state, decision: record } });
      const decided = (await m.Task.findOne({ task_id: task.task_id }, { _id: 0 }).lean<Task>())!;
      if (!(await m.Audit.exists({ op: 'task.decide', target: task.task_id }))) {
        await m.Audit.create({
          audit_id: ulid(), ts: now, actor: decision.by, op: 'task.decide', target: task.task_id, ok: true,
          before: { state: 'pending' }, after: { state: decided.state, comment: decided.decision?.comment }, via: decision.via,
        } satisfies AuditEntry);
      }
      const approver = await employee(decision.by);
      const verdict = decided.state === 'approved' ? 'approved' : 'rejected';
      await postMessage({
        from: task.requested_by, conversation_id: task.conversation_id, workflow_id: task.workflow_id, key: `decided:${task.task_id}`,
        text: `${approver.name} ${verdict} "${task.summary}"${decided.decision?.comment ? `: ${decided.decision.comment}` : '.'}`,
        notice: {
          kind: 'approval_decided', approver_id: approver.id, decision: decision.decision, summary: task.summary,
          ...(decided.decision?.comment ? { comment: decided.decision.comment } : {}),
        },
        system: true,
      });
      await toInboxes([task.asker_id, task.approver_id], { v: 1, type: 'task', task: decided });
      return decided;
    },

    /** What the agent that asked is told of the decision (its follow-up call's `event`). */
    async decisionEvent(task: Task): Promise<ApprovalDecided> {
      if (!task.decision) throw ApplicationFailure.nonRetryable(`task "${task.task_id}" is not decided`, 'NotDecided');
      const approver = await employee(task.decision.by);
      return {
        type: 'approval_decided', task_id: task.task_id, summary: task.summary, decision: task.decision.decision,
        ...(task.decision.comment ? { comment: task.decision.comment } : {}),
        approver: { id: approver.id, name: approver.name }, decided_at: task.decision.ts,
      };
    },

    /**
     * The approver did not answer in time: the task is escalated and a new one goes to their
     * manager; with no manager the request ends, and the chat is told so (null).
     */
    async escalateTask({ task, task_id }: { task: Task; task_id: string }): Promise<Task | null> {
      await m.Task.updateOne({ task_id: task.task_id, state: 'pending' }, { $set: { state: 'escalated' } });
      const escalated = (await m.Task.findOne({ task_id: task.task_id }, { _id: 0 }).lean<Task>())!;
      const approver = await employee(task.approver_id);
      const manager = await activeEmployee(approver.manager_id);
      await toInboxes([task.approver_id], { v: 1, type: 'task', task: escalated });
      if (!manager) {
        await postMessage({
          from: task.requested_by, conversation_id: task.conversation_id, workflow_id: task.workflow_id, key: `no-escalation:${task.task_id}`,
          text: `${approver.name} did not answer in time and there is nobody above them to ask, so "${task.summary}" is not approved. Please follow up in person.`,
          notice: { kind: 'approval_unanswered', approver_id: approver.id, summary: task.summary },
          system: true,
        });
        return null;
      }
      const now = Date.now();
      return newTask({ ...task, task_id, approver_id: manager.id, state: 'pending', escalated_from: task.task_id, created_at: now, due_at: now + approvalTimeoutMs });
    },
  };
}
