import {
  ActivityFailure, ApplicationFailure, condition, defineQuery, defineSignal, defineUpdate, ParentClosePolicy, patched, proxyActivities,
  proxyLocalActivities, setHandler, sleep, startChild, uuid4, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/activities.js';
import type { Handoff, Hop, Relay, Task, WorkflowRun, WorkflowStatus } from '../schemas/agents.js';
import { interactionId, MAX_RELAY_HOPS } from '../schemas/interaction.js';
import type { Message } from '../schemas/message.js';
import type { AgentReply, AgentRequest } from '../schemas/webhook.js';
import type {
  AgentInfo, CallbackSignal, DecisionInput, HandoffInput, HandoffWorkflowInput, InteractionInput, LiveState, LoadedInteraction, PickupInput,
  Prompt, ScheduledInput,
} from '../schemas/workflow.js';

export const stateQuery = defineQuery<LiveState>('state');
export const agentReplySignal = defineSignal<[CallbackSignal]>('agentReply');
/** Approve or reject the pending task; the validator lets only its approver decide, once. */
export const decideUpdate = defineUpdate<Task, [DecisionInput]>('decide');

/**
 * The bookkeeping — database, MQTT, Redis — takes milliseconds, so it runs as local activities
 * inside the worker's workflow task: a round trip through the server per step would cost more
 * than the step. Only the agent's webhook, remote and slow, is a regular activity (see callHop).
 */
const io = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 10, initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/** The state the `state` query answers, registered first thing so it can be asked at any time. */
function liveState(): LiveState {
  const live: LiveState = { status: 'running', step: 'starting', hops: [] };
  setHandler(stateQuery, () => live);
  return live;
}

/** What went wrong, in words for the state and the mirror. */
function reasonOf(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Keeps the visible state (the `state` query, the WorkflowRun document and the `workflow` event)
 * in one place, so the three never disagree.
 */
class Visible {
  private readonly startedAt = Date.now();
  private reported = false;

  constructor(
    private readonly base: Pick<WorkflowRun, 'workflow_id' | 'kind' | 'conversation_id' | 'msg_id' | 'started_by' | 'relay'>,
    readonly live: LiveState,
  ) {}

  async report(status: WorkflowStatus, step: string, error?: string): Promise<void> {
    Object.assign(this.live, { status, step, ...(error ? { error } : {}) });
    const { pending_task, ...rest } = this.live;
    // The first report creates the mirror document, which costs less than updating one.
    const first = !this.reported;
    this.reported = true;
    await io.reportWorkflow({
      ...this.base,
      ...rest,
      ...(pending_task ? { pending_task_id: pending_task.task_id } : {}),
      started_at: this.startedAt,
      updated_at: Date.now(),
    }, first);
  }
}

/** The answer (null: a follow-up the agent had nothing to say to), or why there is none. */
type HopOutcome = { ok: true; record: Hop; reply: AgentReply | null } | { ok: false; record: Hop; error: string };

/** What a call tells the agent besides the question: where a relay stands, what happened since. */
type CallExtras = Pick<AgentRequest, 'relay' | 'event'>;

/** The callbacks an interaction takes, and which call it waits on. */
interface Waiting {
  callbacks: Map<number, CallbackSignal>;
  setAwaiting: (a: { hop: number; agent_id: string } | undefined) => void;
}

/**
 * Since this patch an agent whose approval was decided is told (a follow-up call); workflows
 * started before it finish as they began, without the call.
 */
const APPROVAL_FOLLOW_UP = 'approval-follow-up';

/**
 * One message answered by one agent or a chain of them: gather the context, call each agent (its
 * webhook, or its later callback), post each answer, wait for an approver when an answer needs
 * one, hand the conversation to a human when asked. Every failure leaves a message in the chat.
 */
export async function agentInteraction(input: InteractionInput): Promise<LiveState> {
  return interact(input, 'interaction');
}

/** Started by an admin's Temporal Schedule: the agent answers the prompt as if its author asked. */
export async function scheduledPush(input: ScheduledInput): Promise<LiveState> {
  return interact({ agent_id: input.agent_id, prompt: { conversation_id: input.conversation_id, text: input.prompt, by: input.created_by } }, 'scheduled');
}

async function interact(input: Omit<InteractionInput, 'msg_id' | 'message'> & { message?: Message; prompt?: Prompt }, kind: 'interaction' | 'scheduled'): Promise<LiveState> {
  const { workflowId } = workflowInfo();
  const live = liveState();
  const callbacks = new Map<number, CallbackSignal>();
  let awaiting: { hop: number; agent_id: string } | undefined;
  setHandler(agentReplySignal, (cb) => {
    // Only the agent of the hop being waited for, once: a late or forged-hop callback is ignored.
    if (awaiting && cb.hop === awaiting.hop && cb.agent_id === awaiting.agent_id && !callbacks.has(cb.hop)) callbacks.set(cb.hop, cb);
  });

  const ctx = await io.loadInteraction({ ...input, interaction_id: workflowId });
  const visible = new Visible({
    workflow_id: workflowId, kind, conversation_id: ctx.conversation_id, ...(input.message ? { msg_id: input.message.msg_id } : {}),
    started_by: ctx.asker_id, ...(ctx.relay ? { relay: { relay_id: ctx.relay.relay_id, version: ctx.relay.version } } : {}),
  }, live);
  if (ctx.handoff_active) {
    await visible.report('completed', 'the conversation is with a human colleague');
    return visible.live;
  }
  const approvals = new Approvals(visible, ctx, workflowId);
  const waiting: Waiting = { callbacks, setAwaiting: (a) => (awaiting = a) };

  let agent: AgentInfo = ctx.agent;
  let notes: string[] = [];
  let from: string | undefined;
  let stepIndex = 0;
  // `asked` counts the agents asked, which the hop limit bounds; `hop` numbers every call, follow-ups included.
  for (let asked = 0; ; asked++) {
    const hop = visible.live.hops.length;
    if (asked >= MAX_RELAY_HOPS) {
      await post(ctx, workflowId, `limit:${hop}`, agent.id, `This request has passed through ${MAX_RELAY_HOPS} agents; I'll stop here so it does not go round in circles. Please ask a colleague to take it from here.`, true);
      await visible.report('completed', `stopped after ${MAX_RELAY_HOPS} hops`);
      return visible.live;
    }
    const extras: CallExtras = from ? { relay: { hop, from_agent: from, notes: notes.join('\n') } } : {};
    const outcome = await callHop(ctx, visible, agent, hop, extras, waiting);
    if (!outcome.ok) {
      await post(ctx, workflowId, `unavailable:${hop}`, agent.id, `${agent.name} is unavailable right now; please try again later.`, true);
      await visible.report('failed', `${agent.id} unavailable`, outcome.error);
      return visible.live;
    }
    // Only a follow-up may be answered with nothing (callHop fails a question answered so).
    const reply = outcome.reply!;
    await postReply(ctx, agent, outcome.record, reply);
    if (reply.handoff) {
      await handOff(visible, { conversation_id: ctx.conversation_id, agent_id: agent.id, requested_by: agent.id, asker_id: ctx.asker_id, reason: reply.handoff.reason, workflow_id: workflowId });
      return visible.live;
    }
    if (reply.needs_approval) {
      const decided = await approvals.run(agent.id, hop, reply.needs_approval);
      if (!decided) return visible.live;
      if (decided.followUp) await tellDecision(ctx, visible, agent, decided.task, extras, waiting);
      if (decided.task.state !== 'approved') {
        if (decided.followUp) await visible.report('completed', `rejected by ${decided.task.approver_id}`);
        return visible.live;
      }
    }

    const next = ctx.relay ? nextRelayStep(ctx.relay, stepIndex + 1, reply) : reply.next_agent && { agent_id: reply.next_agent, index: 0 };
    if (!next) break;
    stepIndex = next.index;
    from = agent.id;
    notes = [...notes, `${agent.id}: ${reply.text ?? reply.card?.title ?? ''}`];
    const described = await io.describeAgent(next.agent_id);
    if (!described) {
      await post(ctx, workflowId, `unknown:${hop}`, agent.id, `I wanted to pass this on to "${next.agent_id}", but no such agent is available.`, true);
      await visible.report('failed', `no agent ${next.agent_id}`, `no active agent "${next.agent_id}"`);
      return visible.live;
    }
    agent = described;
  }
  await visible.report('completed', 'done');
  return visible.live;
}

/** The first step at or after `from` whose condition the answer meets. */
function nextRelayStep(relay: Relay, from: number, reply: AgentReply): { agent_id: string; index: number } | undefined {
  const text = (reply.text ?? '').toLowerCase();
  for (let i = from; i < relay.steps.length; i++) {
    const step = relay.steps[i]!;
    if (!step.when || text.includes(step.when.contains.toLowerCase())) return { agent_id: step.agent_id, index: i };
  }
  return undefined;
}

function post(ctx: LoadedInteraction, workflowId: string, key: string, from: string, text: string, system = false, mentions: string[] = []) {
  return io.postMessage({ from, conversation_id: ctx.conversation_id, workflow_id: workflowId, key, text, system, mentions });
}

/** An agent's answer in the chat, when it has text or a card; its hop records the message. */
async function postReply(ctx: LoadedInteraction, agent: AgentInfo, record: Hop, reply: AgentReply): Promise<void> {
  if (!reply.text && !reply.card) return;
  const posted = await io.postMessage({
    from: agent.id, conversation_id: ctx.conversation_id, workflow_id: workflowInfo().workflowId, key: `reply:${record.hop}`,
    text: reply.text, card: reply.card, agent_output: true,
  });
  record.reply_msg_id = posted.msg_id;
}

/**
 * The agent that asked for an approval hears the decision (a call with `event`) and may follow
 * up: its text or card is posted like any answer, and nothing else of its reply is followed, so
 * a follow-up never asks again or passes the request on. An agent that cannot be reached leaves
 * a failed hop in the state and nothing in the chat, where the decision already is.
 */
async function tellDecision(ctx: LoadedInteraction, visible: Visible, agent: AgentInfo, task: Task, extras: CallExtras, waiting: Waiting): Promise<void> {
  const event = await io.decisionEvent(task);
  const outcome = await callHop(ctx, visible, agent, visible.live.hops.length, { ...extras, event }, waiting);
  if (outcome.ok && outcome.reply) await postReply(ctx, agent, outcome.record, outcome.reply);
}

/**
 * One agent's turn: wait for a slot under its rate limit (telling the chat once), call its
 * webhook, and if it answered 202, wait for its callback within its response timeout.
 */
async function callHop(
  ctx: LoadedInteraction, visible: Visible, agent: AgentInfo, hop: number, extras: CallExtras, { callbacks, setAwaiting }: Waiting,
): Promise<HopOutcome> {
  const { workflowId } = workflowInfo();
  const record: Hop = { hop, agent_id: agent.id, status: 'calling', started_at: Date.now(), ...(extras.event ? { event: extras.event.type } : {}) };
  visible.live.hops.push(record);
  const finish = (status: Hop['status'], error?: string) => Object.assign(record, { status, finished_at: Date.now(), ...(error ? { error } : {}) });
  let [, slot] = await Promise.all([visible.report('running', `calling ${agent.id}`), io.takeAgentSlot(agent.id)]);
  for (let told = false; !slot.ok; told = true) {
    if (!told) await post(ctx, workflowId, `busy:${hop}`, agent.id, `${agent.name} is busy; your request is queued and will be answered shortly.`, true);
    await sleep(slot.retryAfterMs);
    slot = await io.takeAgentSlot(agent.id);
  }

  const request: AgentRequest = { ...ctx.request, interaction_id: interactionId(workflowId, hop), agent_id: agent.id, ...extras };
  // The agent's own timeout bounds each attempt; three attempts at most, so a worker that dies
  // mid-call is retried on another while a dead agent is reported within a few timeouts.
  const { callAgent } = proxyActivities<Activities>({
    startToCloseTimeout: agent.response_timeout_ms,
    scheduleToCloseTimeout: agent.response_timeout_ms * 3,
    retry: { maximumAttempts: 3, initialInterval: '200 milliseconds', backoffCoefficient: 2, nonRetryableErrorTypes: ['AgentRejected', 'BadAgentReply'] },
  });
  // Open to a callback before calling: an agent may post it before its 202 has reached us.
  setAwaiting({ hop, agent_id: agent.id });
  let answer: Awaited<ReturnType<Activities['callAgent']>>;
  try {
    answer = await callAgent({ agent_id: agent.id, request });
  } catch (err) {
    setAwaiting(undefined);
    finish('failed', reasonOf(err));
    return { ok: false, record, error: reasonOf(err) };
  }
  if (answer.kind === 'reply') {
    setAwaiting(undefined);
    finish('answered');
    return { ok: true, record, reply: answer.reply };
  }
  if (answer.kind === 'silent') {
    setAwaiting(undefined);
    // A question needs an answer; a follow-up may have nothing to add.
    if (!extras.event) {
      finish('failed', 'agent answered 204 without a reply');
      return { ok: false, record, error: record.error! };
    }
    finish('answered');
    return { ok: true, record, reply: null };
  }

  await visible.report('waiting', `waiting for ${agent.id} to answer`);
  const answered = await condition(() => callbacks.has(hop), agent.response_timeout_ms);
  setAwaiting(undefined);
  if (!answered) {
    finish('failed', `no callback within ${agent.response_timeout_ms} ms`);
    return { ok: false, record, error: record.error! };
  }
  finish('answered');
  await visible.report('running', `${agent.id} answered`);
  return { ok: true, record, reply: callbacks.get(hop)!.reply };
}

/**
 * Human approval of an agent's plan: a task for the approver, a wait for their decision (the
 * `decide` update) or the timeout, which escalates to the approver's manager and waits again.
 */
class Approvals {
  private decision: DecisionInput | undefined;
  private recorded: Task | undefined;
  /** Tasks decided or escalated: no decision for them is taken any more. */
  private readonly closed = new Set<string>();

  constructor(private readonly visible: Visible, private readonly ctx: LoadedInteraction, private readonly workflowId: string) {
    setHandler(decideUpdate, async (d) => {
      // A decision can come before its task is pending here: a new worker re-running the step
      // that asked for it (the old one died) has stored and announced the task, not yet reached
      // the wait. It waits for the task, then is checked as the validator would have.
      const settled = () => this.visible.live.pending_task?.task_id === d.task_id || this.closed.has(d.task_id);
      if (!settled()) await condition(settled);
      this.refuse(d, this.visible.live.pending_task);
      this.decision = d;
      await condition(() => this.recorded?.task_id === d.task_id);
      return this.recorded!;
    }, {
      validator: (d) => {
        const task = this.visible.live.pending_task;
        if (task || this.closed.has(d.task_id)) this.refuse(d, task);
      },
    });
  }

  /**
   * Throws why `d` may not decide `task`; the gateway reads the code off the front of the message.
   * A failure, not a plain Error: thrown from the handler, only a failure refuses the update (an
   * Error would fail the workflow task, again and again).
   */
  private refuse(d: DecisionInput, task: Task | undefined): asserts task is Task {
    if (!task || task.task_id !== d.task_id || this.decision?.task_id === d.task_id) {
      throw ApplicationFailure.nonRetryable('E_CONFLICT: this task is not waiting for a decision', 'Refused');
    }
    if (d.by !== task.approver_id) throw ApplicationFailure.nonRetryable(`E_FORBIDDEN: only ${task.approver_id} may decide this task`, 'Refused');
  }

  /**
   * The task as decided, and whether its agent is to be told (see APPROVAL_FOLLOW_UP); undefined
   * when there was no decision, which is then in the chat and the state.
   */
  async run(agentId: string, hop: number, ask: { approver: string; summary: string }): Promise<{ task: Task; followUp: boolean } | undefined> {
    let task: Task | null;
    try {
      task = await io.openTask({
        task_id: `t-${uuid4()}`, workflow_id: this.workflowId, conversation_id: this.ctx.conversation_id,
        approver_id: ask.approver, requested_by: agentId, asker_id: this.ctx.asker_id, summary: ask.summary,
      });
    } catch (err) {
      await post(this.ctx, this.workflowId, `approval-failed:${hop}`, agentId, `This needs an approval, but it cannot be asked: ${reasonOf(err)}`, true);
      await this.visible.report('failed', 'approval could not be asked', reasonOf(err));
      return undefined;
    }
    while (task) {
      this.visible.live.pending_task = task;
      await this.visible.report('waiting', `waiting for approval by ${task.approver_id}`);
      await io.announceTask(task);
      const current: Task = task;
      const decided = await condition(() => this.decision?.task_id === current.task_id, Math.max(1, current.due_at - Date.now()));
      if (decided) {
        this.recorded = await io.decideTask({ task: current, decision: this.decision! });
        this.closed.add(current.task_id);
        this.visible.live.pending_task = undefined;
        const approved = this.recorded.state === 'approved';
        const followUp = patched(APPROVAL_FOLLOW_UP);
        // Rejected, the workflow ends here unless the agent is still to hear of it.
        if (!approved && !followUp) await this.visible.report('completed', `rejected by ${current.approver_id}`);
        else await this.visible.report('running', `${approved ? 'approved' : 'rejected'} by ${current.approver_id}`);
        return { task: this.recorded, followUp };
      }
      // Decisions for the old task are refused from here on, before the escalation is written.
      this.closed.add(current.task_id);
      this.visible.live.pending_task = undefined;
      task = await io.escalateTask({ task: current, task_id: `t-${uuid4()}` });
    }
    await this.visible.report('failed', 'approval timed out', 'no approver left to escalate to');
    return undefined;
  }
}

/** Hands the conversation to a human colleague; agents stay quiet in it until it is released. */
async function handOff(visible: Visible, input: HandoffInput): Promise<Handoff | undefined> {
  await visible.report('running', 'handing over to a human');
  try {
    const handoff = await io.openHandoff(input);
    await visible.report('completed', `handed over to ${handoff.human_id}`);
    return handoff;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (!(cause instanceof ApplicationFailure && cause.type === 'NoHuman')) throw err;
    await io.postMessage({
      from: input.agent_id, conversation_id: input.conversation_id, workflow_id: input.workflow_id, key: 'handoff-failed',
      text: 'Sorry, no colleague is available to take over right now; please try again later.', system: true,
      notice: { kind: 'handoff_unavailable' },
    });
    await visible.report('failed', 'no human to hand over to', reasonOf(err));
    return undefined;
  }
}

/** Hand-offs a person asks for are watched until picked up (handoffPickup); ones opened before this are not. */
const HANDOFF_PICKUP = 'handoff-pickup';
/** How many times an unclaimed hand-off moves up at most: manager, on-duty, and one more manager. */
const MAX_PICKUP_ESCALATIONS = 3;

/** A person asked for a human (the hand-off command or `handoff.request`). */
export async function humanHandoff(input: HandoffWorkflowInput): Promise<LiveState> {
  const { workflowId } = workflowInfo();
  const visible = new Visible({
    workflow_id: workflowId, kind: 'handoff', conversation_id: input.conversation_id, started_by: input.requested_by,
    ...(input.msg_id ? { msg_id: input.msg_id } : {}),
  }, liveState());
  const handoff = await handOff(visible, { ...input, workflow_id: workflowId });
  if (handoff && patched(HANDOFF_PICKUP)) {
    // 0 for a hand-off another workflow opened (already active): the activity compares, so that
    // a replay under another workflow id decides the same. Ids below come from the recorded result.
    const pickup_ms = await io.handoffPickupMs({ workflow_id: workflowId, opened_by: handoff.workflow_id });
    // The watch outlives this workflow, which answers the person's request as soon as it opened.
    if (pickup_ms > 0) {
      await startChild(handoffPickup, {
        workflowId: `${handoff.workflow_id}:pickup`, args: [{ handoff, pickup_ms }], parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    }
  }
  return visible.live;
}

/**
 * An opened hand-off nobody picks up (no word from its colleague in the conversation within
 * `pickup_ms`, a durable timer) moves to the colleague's manager, else the on-duty colleague,
 * and the asker is told; it ends once picked up, released, or there is nobody left to ask.
 */
export async function handoffPickup(input: PickupInput): Promise<LiveState> {
  const { workflowId } = workflowInfo();
  const { handoff } = input;
  const visible = new Visible({
    workflow_id: workflowId, kind: 'handoff', conversation_id: handoff.conversation_id, started_by: handoff.requested_by,
  }, liveState());
  const tried: string[] = [];
  let human = handoff.human_id;
  for (let level = 0; level < MAX_PICKUP_ESCALATIONS; level++) {
    await visible.report('waiting', `waiting for ${human} to pick up`);
    await sleep(input.pickup_ms);
    const outcome = await io.escalateHandoff({ workflow_id: handoff.workflow_id, human_id: human, tried: [...tried], level });
    if (outcome.kind === 'escalated') {
      tried.push(human);
      human = outcome.handoff.human_id;
      continue;
    }
    const step = outcome.kind === 'picked_up' ? `picked up by ${human}` : outcome.kind === 'released' ? 'released' : `nobody above ${human} to escalate to`;
    await visible.report('completed', step);
    return visible.live;
  }
  await visible.report('completed', `escalated ${MAX_PICKUP_ESCALATIONS} times; left with ${human}`);
  return visible.live;
}
