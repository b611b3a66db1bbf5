import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { parseConversationId, type Employee, type Group, type Message } from '../schemas/index.js';
import type { Models } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import type { AgentDispatcher } from './context.js';
import { addressedAgents, interactionWorkflowId } from './routing.js';
import type { InteractionInput } from '../workflows/workflows.js';

export interface TemporalDispatcherOptions {
  client: Client;
  taskQueue: string;
  m: Models;
  log: Logger;
}

/** Starts one `agentInteraction` workflow per agent a message addresses. */
export function temporalDispatcher(opts: TemporalDispatcherOptions): AgentDispatcher {
  const { client, taskQueue, m, log } = opts;
  return {
    async dispatch(message: Message) {
      const ref = parseConversationId(message.conversation_id);
      if (!ref) return;
      const participantIds = ref.kind === 'direct'
        ? ref.members
        : ((await m.Group.findOne({ id: ref.groupId }, { members: 1 }).lean<Pick<Group, 'members'>>())?.members ?? []);
      const people = await m.Employee.find({ id: { $in: [...participantIds, message.from] } }, { _id: 0 }).lean<Employee[]>();
      const sender = people.find((e) => e.id === message.from);
      if (!sender) return;
      for (const agent of addressedAgents(message, sender, people)) {
        const workflowId = interactionWorkflowId(message.msg_id, agent.id);
        const input: InteractionInput = { agent_id: agent.id, msg_id: message.msg_id };
        try {
          await client.workflow.start('agentInteraction', { taskQueue, workflowId, args: [input] });
          log.info({ workflowId, agent: agent.id }, 'agent interaction started');
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
    },
  };
}
