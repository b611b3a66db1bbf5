import { describe, expect, it } from 'vitest';
import { decode } from './events.js';

const bytes = (x: unknown) => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));
const msg = {
  msg_id: 'm1', conversation_id: 'g:ops', seq: 1, from: 'u_li', ts: 1_764_000_000_000, kind: 'text',
  body: { text: 'hi', mentions: [], attachments: [] }, client_msg_id: 'c1',
};

describe('decode', () => {
  it('types each topic by its schema', () => {
    expect(decode('mchat/group/ops', bytes({ v: 1, type: 'message', msg }))).toEqual({ kind: 'group', groupId: 'ops', event: { v: 1, type: 'message', msg } });
    expect(decode('mchat/inbox/u_li', bytes({ v: 1, type: 'recall', conversation_id: 'g:ops', msg_id: 'm1' })))
      .toEqual({ kind: 'inbox', event: { v: 1, type: 'recall', conversation_id: 'g:ops', msg_id: 'm1' } });
    expect(decode('mchat/status/u_zhang', bytes({ state: 'away', ts: 1 }))).toEqual({ kind: 'presence', employeeId: 'u_zhang', presence: { state: 'away', ts: 1 } });
    expect(decode('mchat/agent/capability/refund', bytes({ v: 1, skill: 'refund', agents: [] })))
      .toEqual({ kind: 'capability', capability: { v: 1, skill: 'refund', agents: [] } });
    expect(decode('mchat/org/tree', bytes({ v: 1, ts: 1, departments: [], unassigned: [] }))).toMatchObject({ kind: 'orgTree' });
    expect(decode('mchat/system/notify', bytes({ v: 1, type: 'notify', kind: 'maintenance', text: 'at 22:00' }))).toMatchObject({ kind: 'notify' });
  });

  it('skips what is not JSON, not of the schema, a cleared retained message, a response, or not ours', () => {
    expect(decode('mchat/inbox/u_li', bytes('not json'))).toBeUndefined();
    expect(decode('mchat/inbox/u_li', bytes({ v: 1, type: 'message', msg: { seq: 'x' } }))).toBeUndefined();
    expect(decode('mchat/inbox/u_li', bytes({ v: 2, type: 'teleport' }))).toBeUndefined();
    expect(decode('mchat/status/u_li', new Uint8Array())).toBeUndefined();
    expect(decode('mchat/msg/resp/u_li:web/1', bytes({ v: 1, seq_id: '1', ok: true, result: {} }))).toBeUndefined();
    expect(decode('other/inbox/u_li', bytes({ v: 1, type: 'message', msg }))).toBeUndefined();
  });
});
