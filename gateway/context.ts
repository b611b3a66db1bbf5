import type { Logger } from '../lib/logger.js';
import type { Models } from '../store/db.js';
import type { MessageStore } from '../store/messages.js';
import type { Publisher } from '../store/publisher.js';
import type { Serializer } from '../store/locks.js';
import type { AdminContext } from './admin/context.js';
import type { AgentDispatcher } from './agents/directory.js';
import type { AgentWork } from './agents/temporal.js';
import type { FileLinks } from './files.js';
import type { GroupReceipts } from './receipts.js';
import type { SenderLimiter } from './limits.js';

/**
 * What member ops, admin ops and HTTP routes are given. It imports only types, from the rooms
 * below it (store/, admin/, agents/, files.ts), so nothing that takes a context is imported back.
 */
export interface GatewayContext {
  m: Models;
  store: MessageStore;
  publisher: Publisher;
  agents: AgentDispatcher;
  /** Running agent workflows: approval decisions, agent callbacks, live state, hand-offs. */
  work: AgentWork;
  admin: AdminContext;
  /** Changes of one document by several requests or processes at once, one at a time (store/locks.ts). */
  writes: Serializer;
  receipts: GroupReceipts;
  limiter: SenderLimiter;
  log: Logger;
  maxPayloadBytes: number;
  /** How long after sending a message its sender may still recall it. */
  recallWindowMs: number;
  /** Signs the download links of attachments in messages going out (see files.ts). */
  files?: FileLinks;
}
