import { ApplicationFailure, proxyActivities, setHandler, defineQuery, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/activities.js';

export interface InteractionInput {
  agent_id: string;
  msg_id: string;
}

export type InteractionStep = 'context' | 'calling_agent' | 'posting_reply' | 'done' | 'failed';

export interface InteractionState {
  step: InteractionStep;
  error?: string;
}

export const stateQuery = defineQuery<InteractionState>('state');

const { loadInteraction, reportWorkflow, postAgentMessage } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '500 milliseconds' },
});

/**
 * One agent answering one message: gather the context, call the agent's webhook, post its reply
 * into the conversation. An agent that fails leaves a visible notice instead of silence.
 */
export async function agentInteraction(input: InteractionInput): Promise<InteractionState> {
  const state: InteractionState = { step: 'context' };
  setHandler(stateQuery, () => state);
  const { workflowId } = workflowInfo();

  const ctx = await loadInteraction({ ...input, interaction_id: workflowId });
  const report = (status: 'running' | 'completed' | 'failed') =>
    reportWorkflow({ workflow_id: workflowId, conversation_id: ctx.conversation_id, status, step: state.step });
  await report('running');

  state.step = 'calling_agent';
  // The webhook's own timeout and retry policy depend on the agent, so this proxy is built per call.
  const { callAgent } = proxyActivities<Activities>({
    startToCloseTimeout: ctx.response_timeout_ms,
    retry: { maximumAttempts: 3, initialInterval: '1 second', nonRetryableErrorTypes: ['AgentRejected', 'BadAgentReply'] },
  });
  try {
    const reply = await callAgent({ agent_id: input.agent_id, request: ctx.request });
    state.step = 'posting_reply';
    await postAgentMessage({ agent_id: input.agent_id, conversation_id: ctx.conversation_id, workflow_id: workflowId, reply });
    state.step = 'done';
    await report('completed');
  } catch (err) {
    state.error = err instanceof ApplicationFailure || err instanceof Error ? err.message : String(err);
    state.step = 'failed';
    await postAgentMessage({
      agent_id: input.agent_id,
      conversation_id: ctx.conversation_id,
      workflow_id: workflowId,
      reply: { text: `${ctx.agent_name} is unavailable right now; please try again later.` },
      system: true,
    });
    await report('failed');
  }
  return state;
}
