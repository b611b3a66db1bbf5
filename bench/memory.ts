import { startRawBroker } from './broker.js';
import { benchIds, closePeers, connectPeers, employeeSpecs, now, sleep } from './clients.js';
import { rssBytes } from './procs.js';
import type { BenchResult, Row } from './report.js';
import type { BenchStack } from './stack.js';
import { fmtMiB, fmtMs } from './stats.js';

export interface MemoryOptions {
  clients: number;
  /** Distinct employees behind the clients (the rest are further devices of the same people). */
  employees: number;
  settleMs: number;
}

export const MEMORY_FULL: MemoryOptions = { clients: 5000, employees: 200, settleMs: 3_000 };
export const MEMORY_QUICK: MemoryOptions = { clients: 500, employees: 50, settleMs: 1_000 };

interface Outcome {
  idle: number;
  loaded: number;
  connectMs: number;
}

async function measure(pid: number, url: string, ids: readonly string[], opts: MemoryOptions, token?: (id: string) => Promise<string>): Promise<Outcome> {
  const specs = (await employeeSpecs(ids, { devices: Math.ceil(opts.clients / ids.length), ...(token ? { token } : {}) })).slice(0, opts.clients);
  await sleep(opts.settleMs);
  const idle = rssBytes(pid);
  const t0 = now();
  const peers = await connectPeers(url, specs);
  const connectMs = now() - t0;
  await sleep(opts.settleMs);
  const loaded = rssBytes(pid);
  await closePeers(peers);
  return { idle, loaded, connectMs };
}

/** RSS (VmRSS) of the broker process, idle and with every client connected and subscribed. */
export async function runMemory(stack: BenchStack, opts: MemoryOptions, fresh: boolean): Promise<BenchResult> {
  const ids = benchIds('mem_', opts.employees);
  const broker = await startRawBroker(stack.logDir);
  let raw: Outcome;
  try {
    raw = await measure(broker.app.child.pid!, broker.url, ids, opts);
  } finally {
    await broker.stop();
  }

  // A gateway that has served nothing yet, so the idle figure is its own.
  if (!fresh) await stack.restartGateway();
  await stack.populate(ids);
  const gw = await measure(stack.gateway.child.pid!, stack.mqttUrl, ids, opts, stack.token);

  const perClient = (o: Outcome) => `${((o.loaded - o.idle) / opts.clients / 1024).toFixed(1)} KiB`;
  const rate = (o: Outcome) => `${Math.round(opts.clients / (o.connectMs / 1000))}/s`;
  const rows: Row[] = [
    {
      bench: `5. broker memory, ${opts.clients.toLocaleString('en-US')} connected clients`,
      metric: 'RSS idle → connected',
      gateway: `${fmtMiB(gw.idle)} → ${fmtMiB(gw.loaded)}`,
      raw: `${fmtMiB(raw.idle)} → ${fmtMiB(raw.loaded)}`,
      note: `${opts.employees} employees × ${Math.ceil(opts.clients / opts.employees)} devices, each subscribed to its inbox and responses`,
    },
    {
      bench: '5. broker memory: per connection',
      metric: 'Δ RSS / client',
      gateway: perClient(gw),
      raw: perClient(raw),
      note: `connect rate (100 CONNECTs in flight): gateway ${rate(gw)} (${fmtMs(gw.connectMs)}), raw ${rate(raw)}`,
    },
  ];
  return { rows };
}
