import type { OpName, OpPayload, OpResult } from '../../schemas/index.js';
import type { Caller } from '../caller.js';
import type { GatewayContext } from '../context.js';
import * as agents from './agents.js';
import * as directory from './directory.js';
import * as groups from './groups.js';
import * as messages from './messages.js';
import * as reading from './reading.js';
import * as search from './search.js';

/** Each op answers its result schema (schemas/ops.ts): a handler answering anything else does not compile. */
type Handler<O extends OpName> = (ctx: GatewayContext, caller: Caller, payload: OpPayload<O>) => Promise<OpResult<O>>;

export const handlers: { [O in OpName]: Handler<O> } = {
  'msg.send': messages.send,
  'msg.history': messages.history,
  'msg.sync': reading.sync,
  'msg.read': reading.read,
  'msg.readers': reading.readers,
  'msg.recall': reading.recall,
  'msg.search': search.search,
  'conv.list': messages.list,
  'employee.get': directory.get,
  'employee.search': directory.search,
  'org.tree': directory.tree,
  'group.create': groups.create,
  'group.get': groups.get,
  'group.add_members': groups.addMembers,
  'group.remove_members': groups.removeMembers,
  'group.leave': groups.leave,
  'group.dissolve': groups.dissolve,
  'profile.update': directory.updateProfile,
  'agent.capabilities': agents.capabilities,
  'task.list': agents.listTasks,
  'task.decide': (ctx, caller, p) => agents.decideTask(ctx, caller, p, 'mqtt'),
  'workflow.list': agents.listWorkflows,
  'workflow.get': agents.getWorkflow,
  'handoff.request': agents.requestHandoff,
  'handoff.release': agents.releaseHandoff,
};
