import type { Message } from '../../../schemas/index.js';

/** A stored text message in `g:ops` (or `conversation_id`), as the gateway would deliver it. */
export function message(seq: number, over: Partial<Message> = {}): Message {
  return {
    msg_id: `m${seq}`,
    conversation_id: 'g:ops',
    seq,
    from: 'u_li',
    ts: 1_764_000_000_000 + seq * 1000,
    kind: 'text',
    body: { text: `message ${seq}`, mentions: [], attachments: [] },
    client_msg_id: `c${seq}`,
    ...over,
  };
}
