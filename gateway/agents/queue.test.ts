import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Message } from '../../schemas/index.js';
import { createLogger } from '../../lib/logger.js';
import { queuedDispatcher, type QueuedDispatcher } from './queue.js';
import type { Route } from './routing.js';

const message = (msg_id: string): Message => ({
  msg_id, conversation_id: 'd:a_sales:u_li', seq: 1, from: 'u_li', ts: 1, kind: 'text',
  client_msg_id: msg_id, body: { text: 'hi', mentions: [], attachments: [] },
});
const route: Route = { agents: ['a_sales'], handoff: false };

/** Against the run's real Redis, each test with a prefix of its own. */
describe('queued agent dispatch', () => {
  let queued: QueuedDispatcher | undefined;
  afterEach(async () => {
    await queued?.close();
  });

  function start(target: (m: Message, r: Route) => Promise<void>) {
    queued = queuedDispatcher({
      redisUrl: inject('services').redisUrl,
      prefix: `t-dispatch-${Date.now()}-${Math.random().toString(36).slice(2)}:`,
      target: { dispatch: target },
      log: createLogger('test', 'silent'),
      backoffMs: 20,
    });
    return queued;
  }

  it('retries until the target takes the work (Temporal back up)', async () => {
    const calls: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const q = start(async (m) => {
      calls.push(m.msg_id);
      if (calls.length < 3) throw new Error('UNAVAILABLE: temporal is down');
      done();
    });
    await q.dispatch(message('m-retry'), route);
    await finished;
    expect(calls).toEqual(['m-retry', 'm-retry', 'm-retry']);
  });

  it('hands the target the route computed before queueing, so the message is not routed again', async () => {
    const got: Route[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const q = start(async (_m, r) => {
      got.push(r);
      done();
    });
    const relay: Route = { agents: ['a_sales', 'a_finance'], handoff: true, relay_id: 'refund' };
    await q.dispatch(message('m-route'), relay);
    await finished;
    expect(got).toEqual([relay]);
  });

  it('queues a message once however often it is dispatched', async () => {
    const calls: string[] = [];
    const q = start(async (m) => {
      calls.push(m.msg_id);
    });
    await Promise.all([q.dispatch(message('m-once'), route), q.dispatch(message('m-once'), route), q.dispatch(message('m-other'), route)]);
    const deadline = Date.now() + 5_000;
    while (calls.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // room for a duplicate to show up, were there one
    expect(calls.sort()).toEqual(['m-once', 'm-other']);
  });
});
