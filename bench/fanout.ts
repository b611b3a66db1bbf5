import { groupConversationId, topics } from '../schemas/index.js';
import { startRawBroker } from './broker.js';
import { benchIds, clientMsgIdOf, closePeers, connectPeers, employeeSpecs, messageEvent, now, until, type Peer } from './clients.js';
import type { BenchResult, Row } from './report.js';
import type { BenchStack } from './stack.js';
import { fmtMs, summarize, type Summary } from './stats.js';

export interface FanoutOptions {
  members: number;
  messages: number;
  /** Stop sending after this long (2 cores): the figure then covers fewer messages, and says so. */
  budgetMs: number;
  /** Longest wait for one message to reach everyone. */
  timeoutMs: number;
}

export const FANOUT_FULL: FanoutOptions = { members: 2000, messages: 100, budgetMs: 60_000, timeoutMs: 30_000 };
export const FANOUT_QUICK: FanoutOptions = { members: 100, messages: 10, budgetMs: 5_000, timeoutMs: 5_000 };

const GROUP = 'g_bench_fanout';

interface Outcome {
  fanout: Summary;
  /** Send → the sender's answer (gateway only). */
  answer: Summary;
  connectMs: number;
  sent: number;
}

/**
 * One message at a time: sent by member 0, timed until the last of all members (the sender's own
 * connection included) has it; the next goes when that one is everywhere and answered.
 */
async function fanout(
  peers: readonly Peer[],
  opts: FanoutOptions,
  tag: string,
  send: (n: number, clientMsgId: string) => Promise<void>,
): Promise<Omit<Outcome, 'connectMs'>> {
  const groupTopic = topics.group(GROUP);
  let current = '';
  let got = 0;
  let last = 0;
  for (const p of peers) {
    p.onEvent = (topic, payload, at) => {
      if (topic !== groupTopic || clientMsgIdOf(payload) !== current) return;
      got++;
      last = at;
    };
  }
  const times: number[] = [];
  const answers: number[] = [];
  const started = now();
  for (let n = 0; n < opts.messages && now() - started < opts.budgetMs; n++) {
    current = `${tag}${n}`;
    got = 0;
    let answeredAt = NaN;
    const t0 = now();
    const answered = send(n, current).then(() => (answeredAt = now()));
    const all = await until(() => got === peers.length, opts.timeoutMs, 1);
    times.push(all ? last - t0 : Infinity);
    await Promise.race([answered, until(() => false, all ? opts.timeoutMs : 0)]);
    answers.push(Number.isNaN(answeredAt) ? Infinity : answeredAt - t0);
    if (!all) break;
  }
  for (const p of peers) p.onEvent = undefined;
  return { fanout: summarize(times), answer: summarize(answers), sent: times.length };
}

export async function runFanout(stack: BenchStack, opts: FanoutOptions): Promise<BenchResult> {
  const ids = benchIds('fan_', opts.members);
  const extra = [topics.group(GROUP)];
  const notes: string[] = [];

  const broker = await startRawBroker(stack.logDir);
  let raw: Outcome;
  try {
    const t0 = now();
    const peers = await connectPeers(broker.url, await employeeSpecs(ids, { extra }));
    const connectMs = now() - t0;
    const result = await fanout(peers, opts, 'r-', (n, id) =>
      peers[0]!.publish(topics.group(GROUP), messageEvent(groupConversationId(GROUP), ids[0]!, n + 1, id)));
    raw = { ...result, connectMs };
    await closePeers(peers);
  } finally {
    await broker.stop();
  }

  await stack.populate(ids, [{ id: GROUP, members: ids }]);
  const t0 = now();
  const peers = await connectPeers(stack.mqttUrl, await employeeSpecs(ids, { token: stack.token, extra }));
  const connectMs = now() - t0;
  const gw: Outcome = {
    ...(await fanout(peers, opts, 'g-', async (_n, id) => {
      const res = await peers[0]!.request('msg.send', { to: { group: GROUP }, client_msg_id: id, body: { text: 'bench' } });
      if (!res.ok) throw new Error(`msg.send to the group: ${res.error.code} ${res.error.message}`);
    })),
    connectMs,
  };
  await closePeers(peers);
  if (!Number.isFinite(gw.answer.max)) await stack.restartGateway();

  notes.push(
    `fan-out: connecting ${opts.members} members (inbox, responses, group) took ${fmtMs(gw.connectMs)} on the gateway, ${fmtMs(raw.connectMs)} on raw aedes`,
    `fan-out, gateway: the sender's answer came p50 ${fmtMs(gw.answer.p50)} / max ${fmtMs(gw.answer.max)} after sending`,
  );
  if (gw.sent < opts.messages) {
    notes.push(`fan-out, gateway: ${gw.sent} of ${opts.messages} messages within the ${opts.budgetMs / 1000} s budget on this machine`);
  }
  const triple = (o: Outcome) => `${fmtMs(o.fanout.p50, opts.timeoutMs)} / ${fmtMs(o.fanout.p95, opts.timeoutMs)} / ${fmtMs(o.fanout.max, opts.timeoutMs)}`;
  const rows: Row[] = [{
    bench: `3. group fan-out to ${opts.members.toLocaleString('en-US')} members`,
    metric: 'last member: p50 / p95 / max',
    gateway: triple(gw),
    raw: triple(raw),
    note: `over ${gw.sent} messages (raw ${raw.sent}), one at a time; all members connected from the bench process`,
  }];
  return { rows, notes };
}
