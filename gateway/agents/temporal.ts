import {
  ScheduleAlreadyRunning, ScheduleNotFoundError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError,
  type Client, type ScheduleSpec,
} from '@temporalio/client';
import { parseConversationId, Schedule, type Message, type Relay, type Task } from '../../schemas/index.js';
import type { ScheduleControl } from '../admin/context.js';
import type { Models } from '../../store/db.js';
import type { Logger } from '../../lib/logger.js';
import { orgCache } from '../../store/org-cache.js';
import type { CallbackSignal, DecisionInput, HandoffWorkflowInput, InteractionInput, LiveState, ScheduledInput } from '../../schemas/workflow.js';
import type { RouteDispatcher } from './directory.js';
import { OpError } from '../errors.js';
import { handoffWorkflowId, interactionWorkflowId, type Route } from './routing.js';

export interface TemporalDispatcherOptions {
  client: Client;
  taskQueue: string;
  m: Models;
  log: Logger;
}

/**
 * Off the hot path (from the dispatch queue): the checks routing left to the database — the
 * agent is in the group, nobody has handed the conversation to a human — then one workflow per
 * addressed agent, a named relay, or a hand-off. Workflow ids come from the message, so a job run
 * twice starts nothing twice.
 */
export function temporalDispatcher(opts: TemporalDispatcherOptions): RouteDispatcher {
  const { client, taskQueue, m, log } = opts;
  async function start(workflowType: 'agentInteraction' | 'humanHandoff', workflowId: string, input: InteractionInput | HandoffWorkflowInput) {
    try {
      // Never again under an id that ran: a message dispatched twice, however far apart, is answered once.
      await client.workflow.start(workflowType, { taskQueue, workflowId, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
      log.info({ workflowId }, 'agent workflow started');
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return {
    async dispatch(message: Message, route: Route) {
      const ref = parseConversationId(message.conversation_id);
      if (!ref) return;
      if (await m.Handoff.exists({ conversation_id: message.conversation_id, state: 'active' })) {
        return log.debug({ msg_id: message.msg_id }, 'conversation is with a human; agents stay quiet');
      }
      let agents = route.agents;
      if (ref.kind === 'group') {
        const members = (await orgCache(m).group(ref.groupId))?.members ?? [];
        agents = agents.filter((id) => members.includes(id));
      }
      if (route.relay_id) {
        const relay = await m.Relay.findOne({ relay_id: route.relay_id }, { _id: 0 }).sort({ version: -1 }).lean<Relay>();
        if (!relay) return log.info({ relay_id: route.relay_id }, 'message names an unknown relay');
        const first = relay.steps[0]!.agent_id;
        const input: InteractionInput = { agent_id: first, msg_id: message.msg_id, message, relay: { relay_id: relay.relay_id, version: relay.version } };
        return start('agentInteraction', interactionWorkflowId(message.msg_id, first), input);
      }
      if (route.handoff) {
        const agent = agents[0];
        if (!agent) return;
        const input: HandoffWorkflowInput = {
          conversation_id: message.conversation_id, agent_id: agent, requested_by: message.from, asker_id: message.from,
          reason: 'asked for a human colleague', msg_id: message.msg_id,
        };
        return start('humanHandoff', handoffWorkflowId(message.msg_id), input);
      }
      for (const agent of agents) {
        await start('agentInteraction', interactionWorkflowId(message.msg_id, agent), { agent_id: agent, msg_id: message.msg_id, message });
      }
    },
  };
}

/** What the ops and HTTP routes ask of running workflows. */
export interface AgentWork {
  /** Runs the workflow's `decide` update: resolves with the decided task. */
  decide(task: Task, decision: DecisionInput): Promise<Task>;
  /** Hands an agent's asynchronous reply to its workflow; false when no such workflow runs. */
  callback(workflowId: string, signal: CallbackSignal): Promise<boolean>;
  /** The `state` query, or undefined when the workflow cannot answer now. */
  liveState(workflowId: string): Promise<LiveState | undefined>;
  /** Starts a hand-off and waits for it to finish. */
  handoff(workflowId: string, input: HandoffWorkflowInput): Promise<void>;
}

const WAIT_MS = 15_000;

function within<T>(ms: number, work: Promise<T>, what: string, meanwhile = 'retry later'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OpError('E_UNAVAILABLE', `${what} did not answer in time; ${meanwhile}`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function temporalWork(client: Client, taskQueue: string): AgentWork {
  return {
    async decide(task, decision) {
      // One update id per task: a decision retried while the first is still on its way (the
      // worker is down, say) joins that first one instead of being refused as a second decision.
      const update = client.workflow.getHandle(task.workflow_id).executeUpdate<Task, [DecisionInput]>('decide', { args: [decision], updateId: `decide:${task.task_id}` });
      try {
        return await within(WAIT_MS, update, 'the workflow', 'the decision was not confirmed and may still take effect; send it again to learn the outcome');
      } catch (err) {
        // The validator's refusals start with the error code they stand for.
        const message = err instanceof WorkflowUpdateFailedError ? (err.cause?.message ?? '') : '';
        const code = /^(E_CONFLICT|E_FORBIDDEN): (.*)$/.exec(message);
        if (code) throw new OpError(code[1] as 'E_CONFLICT' | 'E_FORBIDDEN', code[2]!, 'payload.task_id');
        if (err instanceof WorkflowNotFoundError) throw new OpError('E_CONFLICT', 'the task is no longer waiting for a decision', 'payload.task_id');
        throw err;
      }
    },
    async callback(workflowId, signal) {
      try {
        await client.workflow.getHandle(workflowId).signal('agentReply', signal);
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
    async liveState(workflowId) {
      return within(3_000, client.workflow.getHandle(workflowId).query<LiveState>('state'), 'the workflow').catch(() => undefined);
    },
    async handoff(workflowId, input) {
      await within(WAIT_MS, client.workflow.execute('humanHandoff', { taskQueue, workflowId, args: [input] }), 'the hand-off', 'it may still go ahead; ask again to learn the outcome');
    },
  };
}

const UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function specOf(schedule: Schedule): ScheduleSpec {
  if (schedule.cron) return { cronExpressions: [schedule.cron] };
  const every = /^(\d+)([smhd])$/.exec(schedule.every!)!;
  return { intervals: [{ every: Number(every[1]) * UNITS[every[2] as keyof typeof UNITS] }] };
}

/**
 * Proactive agents as Temporal Schedules, each starting a `scheduledPush` workflow on this
 * installation's task queue. The schedule's memo keeps what MChat shows of it; schedules of other
 * task queues (other installations sharing the namespace) are not listed.
 */
export function temporalSchedules(client: Client, taskQueue: string): ScheduleControl {
  const memoOf = (memo: Record<string, unknown> | undefined) => {
    const parsed = Schedule.safeParse(memo?.mchat);
    return parsed.success && memo?.task_queue === taskQueue ? parsed.data : undefined;
  };
  async function describe(scheduleId: string): Promise<Schedule> {
    try {
      const d = await client.schedule.getHandle(scheduleId).describe();
      const s = memoOf(d.memo);
      if (!s) throw new ScheduleNotFoundError('not an MChat schedule', scheduleId);
      return { ...s, paused: d.state.paused };
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new OpError('E_NOT_FOUND', `no schedule "${scheduleId}"`, 'payload.schedule_id');
      throw err;
    }
  }
  return {
    async create(schedule) {
      const input: ScheduledInput = {
        schedule_id: schedule.schedule_id, agent_id: schedule.agent_id, conversation_id: schedule.conversation_id,
        prompt: schedule.prompt, created_by: schedule.created_by,
      };
      try {
        await client.schedule.create({
          scheduleId: schedule.schedule_id,
          spec: specOf(schedule),
          action: { type: 'startWorkflow', workflowType: 'scheduledPush', taskQueue, workflowId: `scheduled:${schedule.schedule_id}`, args: [input] },
          memo: { mchat: schedule, task_queue: taskQueue },
        });
      } catch (err) {
        if (err instanceof ScheduleAlreadyRunning) throw new OpError('E_CONFLICT', `schedule id "${schedule.schedule_id}" is taken`, 'payload.schedule_id');
        throw err;
      }
      return schedule;
    },
    async pause(scheduleId, paused, by) {
      await describe(scheduleId);
      const handle = client.schedule.getHandle(scheduleId);
      await (paused ? handle.pause(`paused by ${by}`) : handle.unpause(`resumed by ${by}`));
      return describe(scheduleId);
    },
    async list() {
      const found: Schedule[] = [];
      for await (const summary of client.schedule.list()) {
        const s = memoOf(summary.memo);
        if (s) found.push({ ...s, paused: summary.state.paused });
      }
      return found.sort((a, b) => a.schedule_id.localeCompare(b.schedule_id));
    },
  };
}
