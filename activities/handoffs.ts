import { ApplicationFailure } from '@temporalio/activity';
import { directConversationId, type Event, type Handoff } from '../schemas/index.js';
import type { EscalateInput, HandoffInput, PickupOutcome } from '../schemas/workflow.js';
import type { Common } from './common.js';
import { NO_LOCKS, type ActivityDeps } from './deps.js';
import { messagesBefore } from '../store/pages.js';

/** Hand-offs to a human colleague. */
export function handoffActivities(
  { m, onDutyEmployee, handoffPickupMs = 0, locks = NO_LOCKS }: ActivityDeps,
  { employee, activeEmployee, postMessage, publishToConversation, toInboxes }: Common,
) {
  /** The colleague's brief: a direct message from the agent with the reason and the last messages. */
  async function brief(handoff: Handoff, key: string): Promise<void> {
    const [agent, human, asker] = await Promise.all([employee(handoff.agent_id ?? handoff.requested_by), employee(handoff.human_id), employee(handoff.asker_id)]);
    const last = await messagesBefore(m, handoff.conversation_id, undefined, 5);
    const lines = last.reverse().map((msg) => `- ${msg.from}: ${msg.recalled ? '(recalled)' : (msg.body.text ?? msg.body.card?.title ?? '(attachment)')}`);
    await postMessage({
      from: agent.id, conversation_id: directConversationId(agent.id, human.id), workflow_id: handoff.workflow_id, key,
      text: `${asker.name} needs a colleague in ${handoff.conversation_id}${handoff.reason ? ` (${handoff.reason})` : ''}. ` +
        `I will stay quiet there until it is released. Last messages:\n${lines.join('\n')}`,
      mentions: [asker.id],
    });
  }

  return {
    /**
     * How long the hand-off `opened_by` opened waits to be picked up (MCHAT_HANDOFF_PICKUP_MS), for
     * the workflow that opened it; 0: it is not watched.
     */
    async handoffPickupMs(input: { workflow_id: string; opened_by: string }): Promise<number> {
      return input.opened_by === input.workflow_id ? handoffPickupMs : 0;
    },

    /**
     * Whether the colleague picked the hand-off up (wrote in the conversation since it opened) or
     * it was released; else it goes to their manager, or else the on-duty colleague (never back to
     * one who had it), who gets the brief, and the asker is told.
     */
    async escalateHandoff(input: EscalateInput): Promise<PickupOutcome> {
      // No lock: the move is written only if the hand-off is still active and still theirs.
      const outcome = await (async (): Promise<PickupOutcome> => {
        const handoff = await m.Handoff.findOne({ workflow_id: input.workflow_id }, { _id: 0 }).lean<Handoff>();
        if (!handoff || handoff.state !== 'active') return { kind: 'released' };
        // A retry after the move was written: carry on with the posts below.
        if (handoff.human_id !== input.human_id) return { kind: 'escalated', handoff };
        const spoke = await m.Message.exists({ conversation_id: handoff.conversation_id, from: handoff.human_id, ts: { $gte: handoff.since } });
        if (spoke) return { kind: 'picked_up' };
        const tried = new Set([...input.tried, handoff.human_id]);
        const current = await employee(handoff.human_id);
        const candidates = [await activeEmployee(current.manager_id), await activeEmployee(onDutyEmployee)];
        const next = candidates.find((e) => e && !e.is_ai_agent && !tried.has(e.id));
        if (!next) return { kind: 'nobody' };
        const { modifiedCount } = await m.Handoff.updateOne({ workflow_id: input.workflow_id, state: 'active', human_id: handoff.human_id }, { $set: { human_id: next.id } });
        return modifiedCount === 1 ? { kind: 'escalated', handoff: { ...handoff, human_id: next.id } } : { kind: 'released' };
      })();
      if (outcome.kind !== 'escalated') return outcome;
      const { handoff } = outcome;
      const [missed, human] = await Promise.all([employee(input.human_id), employee(handoff.human_id)]);
      await brief(handoff, `handoff-summary:${input.level}`);
      await postMessage({
        from: handoff.agent_id ?? handoff.requested_by, conversation_id: handoff.conversation_id, workflow_id: handoff.workflow_id, key: `handoff-escalated:${input.level}`,
        text: `${missed.name} has not picked this up yet, so I have asked ${human.name} to take over; they will answer you here.`,
        notice: { kind: 'handoff_escalated', human_id: human.id, missed_id: missed.id },
        system: true,
      });
      const event = { v: 1, type: 'handoff', handoff } satisfies Event;
      // The new colleague hears it through the conversation's topics; the one who missed it, directly.
      await publishToConversation(handoff.conversation_id, event);
      await toInboxes([missed.id], event);
      return outcome;
    },

    /**
     * Hands the conversation to a human: the agent's manager, else the on-duty colleague. They get
     * a direct message from the agent with the summary and the last messages; the conversation is
     * marked handed off (one active hand-off per conversation) and everyone is told.
     */
    async openHandoff(input: HandoffInput): Promise<Handoff> {
      // Two requests at once (the person's command and the agent's, say) must not both find none.
      const opened = await locks.hold(`handoff:${input.conversation_id}`, input.workflow_id, async () => {
        const already = await m.Handoff.findOne({ $or: [{ workflow_id: input.workflow_id }, { conversation_id: input.conversation_id, state: 'active' }] }, { _id: 0 }).lean<Handoff>();
        if (already) return already;
        const agent = await employee(input.agent_id);
        const human = (await activeEmployee(agent.manager_id)) ?? (await activeEmployee(onDutyEmployee));
        if (!human || human.is_ai_agent) throw ApplicationFailure.nonRetryable('no manager or on-duty colleague to hand over to', 'NoHuman');
        const asker = await employee(input.asker_id);
        const handoff: Handoff = {
          conversation_id: input.conversation_id, human_id: human.id, agent_id: agent.id, requested_by: input.requested_by,
          asker_id: asker.id, reason: input.reason, workflow_id: input.workflow_id, state: 'active', since: Date.now(),
        };
        await m.Handoff.create(handoff);
        return handoff;
      });
      if (!opened.ok) throw ApplicationFailure.retryable('another hand-off of this conversation is being opened', 'HandoffBusy');
      const handoff = opened.value;
      // Another's hand-off, or this one's again (a retry): the posts below are keyed, so they go once.
      if (handoff.workflow_id !== input.workflow_id) return handoff;
      const [agent, human] = await Promise.all([employee(input.agent_id), employee(handoff.human_id)]);
      await brief(handoff, 'handoff-summary');
      await postMessage({
        from: agent.id, conversation_id: input.conversation_id, workflow_id: input.workflow_id, key: 'handoff-notice',
        text: `I have asked ${human.name} to take over; they will answer you here. I will stay quiet until then.`,
        notice: { kind: 'handoff_started', human_id: human.id },
        system: true,
      });
      // The conversation's topics include the colleague's inbox from now on (publishToConversation).
      await publishToConversation(input.conversation_id, { v: 1, type: 'handoff', handoff } satisfies Event);
      return handoff;
    },
  };
}
