import type { Publisher } from '../../store/publisher.js';
import type { LiveAcl } from '../admin/effects.js';
import type { Caller } from '../caller.js';

/**
 * How the gateway meets MQTT, the same whichever broker: aedes in this process (embedded.ts) or
 * EMQX relaying requests to a service connection (external.ts).
 */
export interface BrokerTransport {
  publisher: Publisher;
  /** Applies organisation changes to live connections. */
  acl: LiveAcl;
  connected(): boolean;
  close(): Promise<void>;
}

/** What a transport hands the gateway: requests with the caller it authenticated (presence it handles itself). */
export interface BrokerEvents {
  /** A request on `mchat/msg/req/{seq_id}` (seqId set) or an admin command (seqId undefined). */
  onRequest(caller: Caller, seqId: string | undefined, payload: Buffer): void;
}
