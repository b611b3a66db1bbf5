import type { Logger } from '../lib/logger.js';
import type { Models } from '../lib/db.js';
import type { MessageStore } from '../lib/messages.js';
import type { Publisher } from '../lib/publisher.js';
import type { Serializer } from '../lib/locks.js';
import type { Message } from '../schemas/index.js';
import type { AdminContext } from './admin/ops.js';
import type { AgentWork } from './agents.js';
import type { FileLinks } from './media.js';
import type { GroupReceipts } from './receipts.js';
import type { SenderLimiter } from './limits.js';

/** The authenticated employee behind a request: taken from the connection, never from the payload. */
export interface Caller {
  id: string;
  clientId: string;
  role: 'member' | 'admin';
}

/** Starts the agent work a stored message calls for (Temporal in production, see agents.ts). */
export interface AgentDispatcher {
  dispatch(message: Message): Promise<void>;
}

export interface GatewayContext {
  m: Models;
  store: MessageStore;
  publisher: Publisher;
  agents: AgentDispatcher;
  /** Running agent workflows: approval decisions, agent callbacks, live state, hand-offs. */
  work: AgentWork;
  admin: AdminContext;
  /** Changes of one document by several requests or processes at once, one at a time (locks.ts). */
  writes: Serializer;
  receipts: GroupReceipts;
  limiter: SenderLimiter;
  log: Logger;
  maxPayloadBytes: number;
  /** How long after sending a message its sender may still recall it. */
  recallWindowMs: number;
  /** Signs the download links of attachments in messages going out (see media.ts). */
  files?: FileLinks;
}
