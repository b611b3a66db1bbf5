import { directConversationId } from '../schemas/index.js';
import { topics } from '../schemas/index.js';
import { startRawBroker } from './broker.js';
import { benchIds, clientMsgIdOf, closePeers, connectPeers, employeeSpecs, messageEvent, now, sleep, until, type Peer } from './clients.js';
import { cpuMeter, fmtCores } from './procs.js';
import type { BenchResult, Row } from './report.js';
import type { BenchStack } from './stack.js';
import { fmtMs, summarize, type Summary } from './stats.js';

export interface LatencyOptions {
  pairs: number;
  /** Open-loop rates; `reference` marks a rate below saturation, for the unloaded figure. */
  phases: { rate: number; seconds: number; reference?: boolean }[];
  /** How long after the last send the run waits for stragglers. */
  drainMs: number;
}

export const LATENCY_FULL: LatencyOptions = {
  pairs: 200,
  phases: [{ rate: 10, seconds: 6, reference: true }, { rate: 500, seconds: 5 }, { rate: 2000, seconds: 5 }],
  drainMs: 15_000,
};
export const LATENCY_QUICK: LatencyOptions = {
  pairs: 20,
  phases: [{ rate: 10, seconds: 2, reference: true }, { rate: 500, seconds: 1 }, { rate: 2000, seconds: 1 }],
  drainMs: 3_000,
};

interface Pair {
  sender: Peer;
  senderId: string;
  recipient: Peer;
  recipientId: string;
}

interface PhaseResult {
  rate: number;
  sent: number;
  delivered: number;
  /** Sends answered (gateway: a response; raw: PUBACK). */
  answered: number;
  errors: Map<string, number>;
  latency: Summary;
  /** How late the open-loop schedule ran, worst case: the bench's own lag. */
  maxLagMs: number;
  cores: Record<string, number>;
}

/** Pairs i: sender = ids[2i], recipient = ids[2i+1]. */
function pairsOf(ids: readonly string[], peers: readonly Peer[]): Pair[] {
  const pairs: Pair[] = [];
  for (let i = 0; i + 1 < ids.length; i += 2) {
    pairs.push({ sender: peers[i]!, senderId: ids[i]!, recipient: peers[i + 1]!, recipientId: ids[i + 1]! });
  }
  return pairs;
}

/**
 * Open loop: message i is due at t0 + i/rate, from pair i mod P, whether or not earlier ones have
 * arrived. Latency = the recipient's receive time − the moment the send was issued; messages that
 * never arrive within the drain count as later than anything measured.
 */
async function openLoop(
  pairs: readonly Pair[],
  rate: number,
  seconds: number,
  drainMs: number,
  tag: string,
  send: (pair: Pair, i: number, clientMsgId: string) => Promise<string | undefined>,
  pids: Record<string, number>,
): Promise<PhaseResult> {
  const total = Math.max(1, Math.round(rate * seconds));
  const sentAt = new Float64Array(total);
  const receivedAt = new Float64Array(total).fill(NaN);
  let delivered = 0;
  let answered = 0;
  let maxLagMs = 0;
  const errors = new Map<string, number>();
  for (const pair of pairs) {
    pair.recipient.onEvent = (_topic, payload, at) => {
      const id = clientMsgIdOf(payload);
      if (!id?.startsWith(tag)) return;
      const i = Number(id.slice(tag.length));
      if (Number.isNaN(receivedAt[i]!)) {
        receivedAt[i] = at;
        delivered++;
      }
    };
  }
  const meter = cpuMeter(pids);
  const interval = 1000 / rate;
  const t0 = now() + 20;
  let i = 0;
  while (i < total) {
    const t = now();
    while (i < total && t0 + i * interval <= t) {
      maxLagMs = Math.max(maxLagMs, t - (t0 + i * interval));
      sentAt[i] = now();
      const n = i;
      send(pairs[n % pairs.length]!, n, `${tag}${n}`).then(
        (error) => {
          answered++;
          if (error) errors.set(error, (errors.get(error) ?? 0) + 1);
        },
        (err: unknown) => errors.set(String(err), (errors.get(String(err)) ?? 0) + 1),
      );
      i++;
    }
    if (i < total) await sleep(Math.max(0, Math.min(50, t0 + i * interval - now() - 0.5)));
  }
  await until(() => delivered === total && answered === total, drainMs, 10);
  const cores = meter();
  for (const pair of pairs) pair.recipient.onEvent = undefined;
  const samples = Array.from(sentAt, (s, k) => (Number.isNaN(receivedAt[k]!) ? Infinity : receivedAt[k]! - s));
  return { rate, sent: total, delivered, answered, errors, latency: summarize(samples), maxLagMs, cores };
}

export async function runLatency(stack: BenchStack, opts: LatencyOptions): Promise<BenchResult> {
  const ids = benchIds('lat_', opts.pairs * 2);
  const notes: string[] = [];

  // Baseline: the same clients publishing the message event straight to the recipient's inbox.
  const raw: PhaseResult[] = [];
  const broker = await startRawBroker(stack.logDir);
  try {
    const peers = await connectPeers(broker.url, await employeeSpecs(ids));
    const pairs = pairsOf(ids, peers);
    for (const [k, phase] of opts.phases.entries()) {
      raw.push(await openLoop(pairs, phase.rate, phase.seconds, opts.drainMs, `r${k}-`, async (pair, i, id) => {
        const conversation = directConversationId(pair.senderId, pair.recipientId);
        await pair.sender.publish(topics.inbox(pair.recipientId), messageEvent(conversation, pair.senderId, i + 1, id));
        return undefined;
      }, { 'raw aedes': broker.app.child.pid!, bench: process.pid }));
      await sleep(500);
    }
    await closePeers(peers);
  } finally {
    await broker.stop();
  }

  // The gateway: each phase on an empty message store with fresh connections, and employees of its
  // own (see BenchStack.populate); a phase that left requests unanswered (a backlog) gets a new
  // gateway process, so it cannot slow the next one.
  const gateway: PhaseResult[] = [];
  for (const [k, phase] of opts.phases.entries()) {
    const phaseIds = benchIds(`lat${k}_`, opts.pairs * 2);
    await stack.populate(phaseIds);
    const peers = await connectPeers(stack.mqttUrl, await employeeSpecs(phaseIds, { token: stack.token }));
    const pairs = pairsOf(phaseIds, peers);
    const result = await openLoop(pairs, phase.rate, phase.seconds, opts.drainMs, `g${k}-`, async (pair, _i, id) => {
      const res = await pair.sender.request('msg.send', { to: { direct: pair.recipientId }, client_msg_id: id, body: { text: 'bench' } });
      return res.ok ? undefined : res.error.code;
    }, stack.pids());
    gateway.push(result);
    const stored = await stack.m.Message.estimatedDocumentCount().catch(() => NaN);
    await closePeers(peers);
    if (result.answered < result.sent) {
      notes.push(`latency @ ${phase.rate} msg/s: ${result.sent - result.answered} requests still queued in the gateway after the drain; gateway restarted to drop them`);
      await stack.restartGateway();
    }
    notes.push(`latency @ ${phase.rate} msg/s, gateway: ${result.delivered}/${result.sent} delivered within ${phase.seconds} s + ${opts.drainMs / 1000} s drain, ${stored} stored; CPU ${fmtCores(result.cores)}`);
  }

  const rows: Row[] = opts.phases.map((phase, k) => {
    const g = gateway[k]!;
    const r = raw[k]!;
    const triple = (p: PhaseResult) => `${fmtMs(p.latency.p50, opts.drainMs)} / ${fmtMs(p.latency.p95, opts.drainMs)} / ${fmtMs(p.latency.p99, opts.drainMs)}`;
    const errors = [...g.errors].map(([code, n]) => `${n}× ${code}`).join(', ');
    const lag = Math.max(g.maxLagMs, r.maxLagMs);
    return {
      bench: `1. direct latency @ ${phase.rate.toLocaleString('en-US')} msg/s${phase.reference ? ' (reference)' : ''}`,
      metric: 'p50 / p95 / p99',
      gateway: triple(g),
      raw: triple(r),
      note: [
        `${opts.pairs} pairs, ${phase.seconds} s open loop; delivered ${g.delivered}/${g.sent} (raw ${r.delivered}/${r.sent})`,
        ...(errors ? [`errors: ${errors}`] : []),
        ...(lag > 5 ? [`bench send lag up to ${fmtMs(lag)}`] : []),
      ].join('; '),
    };
  });
  const at2000 = opts.phases.findIndex((p) => p.rate === 2000);
  const goals = at2000 < 0 ? [] : [{
    goal: 'direct message p95 < 10 ms at 2,000 msg/s',
    met: gateway[at2000]!.latency.p95 < 10,
    measured: `p95 ${fmtMs(gateway[at2000]!.latency.p95, opts.drainMs)} (raw aedes ${fmtMs(raw[at2000]!.latency.p95, opts.drainMs)})`,
  }];
  return { rows, goals, notes };
}
