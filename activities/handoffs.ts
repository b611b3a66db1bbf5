import { ApplicationFailure } from '@temporalio/activity';
import { directConversationId, type Event, type Handoff } from '../schemas/index.js';
import type { HandoffInput } from '../schemas/workflow.js';
import type { Common } from './common.js';
import { NO_LOCKS, type ActivityDeps } from './deps.js';
import { messagesBefore } from '../store/pages.js';

/** Hand-offs to a human colleague. */
export function handoffActivities(
  { m, onDutyEmployee, locks = NO_LOCKS }: ActivityDeps,
  { employee, activeEmployee, postMessage, publishToConversation }: Common,
) {
  return {
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
      const [agent, human, asker] = await Promise.all([employee(input.agent_id), employee(handoff.human_id), employee(handoff.asker_id)]);
      const last = await messagesBefore(m, input.conversation_id, undefined, 5);
      const lines = last.reverse().map((msg) => `- ${msg.from}: ${msg.recalled ? '(recalled)' : (msg.body.text ?? msg.body.card?.title ?? '(attachment)')}`);
      await postMessage({
        from: agent.id, conversation_id: directConversationId(agent.id, human.id), workflow_id: input.workflow_id, key: 'handoff-summary',
        text: `${asker.name} needs a colleague in ${input.conversation_id}${input.reason ? ` (${input.reason})` : ''}. ` +
          `I will stay quiet there until it is released. Last messages:\n${lines.join('\n')}`,
        mentions: [asker.id],
      });
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
