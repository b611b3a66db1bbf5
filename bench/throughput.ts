import { directConversationId, topics } from '../schemas/index.js';
import { startRawBroker } from './broker.js';
import { benchIds, clientMsgIdOf, closePeers, connectPeers, employeeSpecs, messageEvent, now, sleep, until, type Peer } from './clients.js';
import { cpuMeter, fmtCores } from './procs.js';
import type { BenchResult, Goal, Row } from './report.js';
import type { BenchStack } from './stack.js';
import { fmtRate } from './stats.js';

export interface ThroughputOptions {
  pairs: number;
  seconds: number;
  /** Sends in flight at once, over all pairs. */
  window: number;
  /** How long the run waits for the last window to be answered and delivered. */
  drainMs: number;
}

export const THROUGHPUT_FULL: ThroughputOptions = { pairs: 200, seconds: 10, window: 100, drainMs: 60_000 };
export const THROUGHPUT_QUICK: ThroughputOptions = { pairs: 20, seconds: 3, window: 20, drainMs: 15_000 };

interface Outcome {
  /** Answered OK within the timed window. */
  ackedInWindow: number;
  acked: number;
  failed: number;
  received: number;
  /** Acks in the first and the last 2 s: does the rate hold as the store grows? */
  firstRate: number;
  lastRate: number;
  drained: boolean;
  cores: Record<string, number>;
}

/**
 * As fast as the window allows: `window` senders each send, wait for the answer, send again, over
 * the pairs in turn. Counts what was acknowledged, what the recipients got, and (gateway) what the
 * database holds afterwards.
 */
async function push(
  ids: readonly string[],
  peers: readonly Peer[],
  opts: ThroughputOptions,
  tag: string,
  send: (sender: Peer, senderId: string, recipientId: string, n: number, clientMsgId: string) => Promise<boolean>,
  pids: Record<string, number>,
): Promise<Outcome> {
  const received = new Set<string>();
  for (let i = 1; i < peers.length; i += 2) {
    peers[i]!.onEvent = (_topic, payload) => {
      const id = clientMsgIdOf(payload);
      if (id?.startsWith(tag)) received.add(id);
    };
  }
  const ackTimes: number[] = [];
  let failed = 0;
  let counter = 0;
  const meter = cpuMeter(pids);
  const start = now();
  const end = start + opts.seconds * 1000;
  const worker = async () => {
    while (now() < end) {
      const n = counter++;
      const pair = n % (ids.length / 2);
      const ok = await send(peers[2 * pair]!, ids[2 * pair]!, ids[2 * pair + 1]!, n, `${tag}${n}`).catch(() => false);
      if (ok) ackTimes.push(now());
      else failed++;
    }
  };
  const workers = Promise.all(Array.from({ length: opts.window }, worker));
  const drained = await Promise.race([workers.then(() => true), sleep(opts.seconds * 1000 + opts.drainMs).then(() => false)]);
  await until(() => received.size >= ackTimes.length, drained ? 5_000 : 0, 20);
  const cores = meter();
  for (const p of peers) p.onEvent = undefined;
  const within = (from: number, to: number) => ackTimes.filter((t) => t >= from && t < to).length;
  return {
    ackedInWindow: within(start, end),
    acked: ackTimes.length,
    failed,
    received: received.size,
    firstRate: within(start, start + 2000) / 2,
    lastRate: within(end - 2000, end) / 2,
    drained,
    cores,
  };
}

export async function runThroughput(stack: BenchStack, opts: ThroughputOptions): Promise<BenchResult> {
  const ids = benchIds('thr_', opts.pairs * 2);
  const notes: string[] = [];

  const broker = await startRawBroker(stack.logDir);
  let raw: Outcome;
  try {
    const peers = await connectPeers(broker.url, await employeeSpecs(ids));
    raw = await push(ids, peers, opts, 'r-', async (sender, from, to, n, id) => {
      await sender.publish(topics.inbox(to), messageEvent(directConversationId(from, to), from, n + 1, id));
      return true;
    }, { 'raw aedes': broker.app.child.pid!, bench: process.pid });
    await closePeers(peers);
  } finally {
    await broker.stop();
  }

  await stack.populate(ids);
  const peers = await connectPeers(stack.mqttUrl, await employeeSpecs(ids, { token: stack.token }));
  const gw = await push(ids, peers, opts, 'g-', async (sender, _from, to, _n, id) => {
    const res = await sender.request('msg.send', { to: { direct: to }, client_msg_id: id, body: { text: 'bench' } });
    return res.ok;
  }, stack.pids());
  const stored = await stack.m.Message.countDocuments({});
  await closePeers(peers);
  if (!gw.drained) {
    notes.push('throughput: the last window was not answered within the drain; gateway restarted');
    await stack.restartGateway();
  }

  const lostDelivery = gw.acked - gw.received;
  const lostStore = gw.acked - stored;
  notes.push(
    `throughput, gateway: ${fmtRate(gw.firstRate)} in the first 2 s, ${fmtRate(gw.lastRate)} in the last 2 s (the message store grew to ${stored}); CPU ${fmtCores(gw.cores)}`,
    `throughput, raw aedes: CPU ${fmtCores(raw.cores)}`,
  );
  const rows: Row[] = [
    {
      bench: `2. sustained throughput (${opts.seconds} s, window ${opts.window})`,
      metric: 'acked msg/s',
      gateway: fmtRate(gw.ackedInWindow / opts.seconds),
      raw: fmtRate(raw.ackedInWindow / opts.seconds),
      note: `${opts.pairs} pairs, direct, QoS 1; acked = response ok (raw: PUBACK)`,
    },
    {
      bench: '2. sustained throughput: losses',
      metric: 'acked / stored / received',
      gateway: `${gw.acked} / ${stored} / ${gw.received}`,
      raw: `${raw.acked} / – / ${raw.received}`,
      note: `lost: ${Math.max(0, lostStore)} acked-not-stored, ${Math.max(0, lostDelivery)} acked-not-received; ${gw.failed} error responses`,
    },
  ];
  const goals: Goal[] = [{
    goal: 'zero loss under sustained load (acked = stored = received)',
    met: lostDelivery <= 0 && lostStore <= 0 && gw.failed === 0,
    measured: `${gw.acked} acked, ${stored} stored, ${gw.received} received, ${gw.failed} errors`,
  }];
  return { rows, goals, notes };
}
