import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { ulid } from 'ulid';
import { createAgentServer } from '../agents/sdk/index.js';
import { interactionWorkflowId } from '../gateway/agents/routing.js';
import { benchIds, closePeers, connectPeers, employeeSpecs, now, sleep, until, type Peer } from './clients.js';
import { cpuMeter, fmtCores } from './procs.js';
import type { BenchResult } from './report.js';
import type { BenchStack } from './stack.js';
import { runTemporalBaseline } from './temporal-baseline/baseline.js';
import { fmtMs, fmtRate, summarize } from './stats.js';

export interface AgentBenchOptions {
  askers: number;
  /** Round trips, paced so that each finds an idle system: the unloaded figure. */
  interactions: number;
  ratePerSecond: number;
  /** Questions sent at once, for interactions per second. */
  burst: number;
  timeoutMs: number;
}

export const AGENTS_FULL: AgentBenchOptions = { askers: 20, interactions: 200, ratePerSecond: 2, burst: 100, timeoutMs: 60_000 };
export const AGENTS_QUICK: AgentBenchOptions = { askers: 5, interactions: 20, ratePerSecond: 10, burst: 30, timeoutMs: 30_000 };

const AGENT = 'bench_agent';

/** An agent that answers at once, naming the question it answers so the bench can match them. */
async function startAgent(secret: string): Promise<Server> {
  const server = createAgentServer({ secret, agents: { '/': (req) => ({ text: `answer to ${req.message.client_msg_id}` }) } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function registerAgent(stack: BenchStack, askers: readonly string[], webhook: string, secret: string): Promise<void> {
  await stack.populate(askers);
  await stack.m.Employee.create({
    id: AGENT, name: 'Bench agent', title: 'AI', department_id: null, manager_id: null, skills_badge: [], role: 'member',
    status: 'active', is_ai_agent: true, created_at: Date.now(),
    agent_profile: { model_type: 'echo', capabilities: [], trigger_keywords: [], webhook_endpoint: webhook, response_timeout: 10_000, auto_join_groups: [] },
  });
  await stack.m.Credential.create({ employee_id: AGENT, api_secret: secret });
}

/** Resolves each question's time when the agent's answer reaches the asker's inbox. */
function answerWatcher(peers: readonly Peer[]) {
  const answered = new Map<string, number>();
  for (const peer of peers) {
    peer.onEvent = (_topic, payload, at) => {
      const event = JSON.parse(payload.toString('utf8')) as { type?: string; msg?: { from?: string; body?: { text?: string } } };
      const question = event.type === 'message' && event.msg?.from === AGENT ? /^answer to (\S+)/.exec(event.msg.body?.text ?? '')?.[1] : undefined;
      if (question && !answered.has(question)) answered.set(question, at);
    };
  }
  return answered;
}

async function ask(peer: Peer, question: string): Promise<string> {
  const sent = await peer.request('msg.send', { to: { direct: AGENT }, client_msg_id: question, body: { text: 'what is new?' } });
  if (!sent.ok) throw new Error(`msg.send refused: ${sent.error.code} ${sent.error.message}`);
  return (sent.result as { msg_id: string }).msg_id;
}

/** When the Temporal server started each message's interaction workflow. */
async function startTimes(temporalAddress: string, msgIds: readonly string[]): Promise<number[]> {
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const client = new Client({ connection });
    return await Promise.all(msgIds.map(async (id) => (await client.workflow.getHandle(interactionWorkflowId(id, AGENT)).describe()).startTime.getTime()));
  } finally {
    await connection.close();
  }
}

/**
 * An @agent question → the agent's answer in the asker's inbox, through the gateway, the BullMQ
 * dispatch queue, a Temporal workflow on the dev server, the worker's webhook call and the store.
 */
export async function runAgents(stack: BenchStack, opts: AgentBenchOptions): Promise<BenchResult> {
  const temporalAddress = await stack.withTemporal();
  const secret = randomBytes(32).toString('base64url');
  const agent = await startAgent(secret);
  const askers = benchIds('ask_', opts.askers);
  try {
    await registerAgent(stack, askers, `http://127.0.0.1:${(agent.address() as AddressInfo).port}/`, secret);
    await sleep(1_500); // the gateway's agent list and directory cache catch up
    const peers = await connectPeers(stack.mqttUrl, await employeeSpecs(askers, { token: stack.token }));
    const answered = answerWatcher(peers);
    try {
      // Warm-up: the worker's first workflow task loads the workflow bundle.
      const warm = ulid();
      await ask(peers[0]!, warm);
      await until(() => answered.has(warm), opts.timeoutMs, 10);

      const sentAt = new Map<string, number>();
      for (let i = 0; i < opts.interactions; i++) {
        const question = ulid();
        sentAt.set(question, now());
        ask(peers[i % peers.length]!, question).catch(() => undefined); // unanswered: counted as a timeout
        await sleep(1000 / opts.ratePerSecond);
      }
      await until(() => [...sentAt.keys()].every((q) => answered.has(q)), opts.timeoutMs, 10);
      const roundTrip = summarize([...sentAt].map(([q, t]) => (answered.get(q) ?? Infinity) - t));

      const burst = Array.from({ length: opts.burst }, () => ulid());
      const meter = cpuMeter(stack.pids());
      const t0 = now();
      const wallAtStart = Date.now();
      const msgIds = await Promise.all(burst.map((q, i) => ask(peers[i % peers.length]!, q)));
      const allIn = await until(() => burst.every((q) => answered.has(q)), opts.timeoutMs, 10);
      const seconds = (Math.max(...burst.map((q) => answered.get(q) ?? now())) - t0) / 1000;
      const cores = meter();
      const done = burst.filter((q) => answered.has(q)).length;
      const perSecond = done / seconds;
      // Started: from the first question sent to the last workflow the Temporal server started.
      const started = await startTimes(temporalAddress, msgIds);
      const startedPerSecond = started.length / ((Math.max(...started) - wallAtStart) / 1000);

      // After MChat's phases, so that its worker, bundled and idle by now, takes no CPU from it.
      const baselineMeter = cpuMeter(stack.pids());
      const baseline = await runTemporalBaseline(temporalAddress, opts);
      const baselineCores = baselineMeter();

      return {
        rows: [
          {
            bench: '6. @agent question → answer in the inbox',
            metric: 'p50 / p95 / p99',
            gateway: `${fmtMs(roundTrip.p50, opts.timeoutMs)} / ${fmtMs(roundTrip.p95, opts.timeoutMs)} / ${fmtMs(roundTrip.p99, opts.timeoutMs)}`,
            raw: `${fmtMs(baseline.roundTrip.p50)} / ${fmtMs(baseline.roundTrip.p95)} / ${fmtMs(baseline.roundTrip.p99)}`,
            note: `${opts.interactions} interactions at ${opts.ratePerSecond}/s from ${opts.askers} askers; Temporal dev server, one worker, an agent answering at once; raw: a workflow of the same shape doing nothing`,
          },
          {
            bench: '6. agent interactions per second',
            metric: 'started / s',
            gateway: fmtRate(startedPerSecond).replace('msg/s', 'interactions/s'),
            raw: '–',
            note: `${opts.burst} questions sent at once, until the Temporal server started the last one's workflow`,
          },
          {
            bench: '6. agent interactions per second',
            metric: 'answered / s',
            gateway: fmtRate(perSecond).replace('msg/s', 'interactions/s'),
            raw: fmtRate(baseline.completedPerSecond).replace('msg/s', 'workflows/s'),
            note: `${done}/${opts.burst} questions sent at once answered${allIn ? '' : ` (the rest not within ${fmtMs(opts.timeoutMs)})`}`,
          },
        ],
        goals: [
          {
            goal: '@agent round trip p95 ≤ 1.5× raw Temporal',
            met: roundTrip.p95 <= 1.5 * baseline.roundTrip.p95,
            measured: `p95 ${fmtMs(roundTrip.p95, opts.timeoutMs)} vs ${fmtMs(baseline.roundTrip.p95)} (${(roundTrip.p95 / baseline.roundTrip.p95).toFixed(2)}×)`,
          },
          {
            goal: 'agent interactions answered/s ≥ 0.9× raw Temporal',
            met: perSecond >= 0.9 * baseline.completedPerSecond,
            measured: `${perSecond.toFixed(1)}/s vs ${baseline.completedPerSecond.toFixed(1)}/s (${(perSecond / baseline.completedPerSecond).toFixed(2)}×)`,
          },
        ],
        notes: [`agents burst: CPU ${fmtCores(cores)}`, `raw Temporal phase: CPU ${fmtCores(baselineCores)} (its worker runs in the bench process)`],
      };
    } finally {
      await closePeers(peers);
    }
  } finally {
    agent.close();
  }
}
