import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { AGENTS_FULL, AGENTS_QUICK, runAgents } from './agents.js';
import { CATCHUP_FULL, CATCHUP_QUICK, runCatchup } from './catchup.js';
import { FANOUT_FULL, FANOUT_QUICK, runFanout } from './fanout.js';
import { LATENCY_FULL, LATENCY_QUICK, runLatency } from './latency.js';
import { MEMORY_FULL, MEMORY_QUICK, runMemory } from './memory.js';
import { table, type BenchResult, type Goal, type Row } from './report.js';
import { startBenchStack, type BenchStack } from './stack.js';
import { fmtMs } from './stats.js';
import { THROUGHPUT_FULL, THROUGHPUT_QUICK, runThroughput } from './throughput.js';

/**
 * `npm run bench [-- --quick] [-- --only latency,fanout]`: MChat's messaging benchmarks against a
 * real gateway process (embedded aedes) on real Redis and FerretDB, each figure next to a
 * standalone aedes doing the same with the same clients, and last the agent round trip through a
 * Temporal dev server and a worker. Prints one table and the goals.
 */
const NAMES = ['memory', 'latency', 'throughput', 'fanout', 'catchup', 'agents'] as const;
type Name = (typeof NAMES)[number];

function parseArgs(argv: readonly string[]): { quick: boolean; only: Name[] } {
  let quick = false;
  let only: Name[] = [...NAMES];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      const names = (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = names.filter((n) => !(NAMES as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length > 0) usage(`unknown benchmark ${unknown.join(', ') || '(none given)'}`);
      only = NAMES.filter((n) => names.includes(n));
    } else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown option ${arg}`);
  }
  return { quick, only };
}

function usage(error?: string): never {
  if (error) console.error(error);
  console.error(`usage: npm run bench -- [--quick] [--only ${NAMES.join(',')}]`);
  process.exit(error ? 2 : 0);
}

function version(pkg: string): string {
  const url = new URL(`../node_modules/${pkg}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/** The soft limit on open files: every MQTT connection is one in the bench and one in the broker. */
function openFilesLimit(): number {
  const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return line === undefined || line === 'unlimited' ? Infinity : Number(line);
}

const { quick, only } = parseArgs(process.argv.slice(2));
const sizes = {
  memory: quick ? MEMORY_QUICK : MEMORY_FULL,
  latency: quick ? LATENCY_QUICK : LATENCY_FULL,
  throughput: quick ? THROUGHPUT_QUICK : THROUGHPUT_FULL,
  fanout: quick ? FANOUT_QUICK : FANOUT_FULL,
  catchup: quick ? CATCHUP_QUICK : CATCHUP_FULL,
  agents: quick ? AGENTS_QUICK : AGENTS_FULL,
};
const needed = Math.max(only.includes('memory') ? sizes.memory.clients : 0, only.includes('fanout') ? sizes.fanout.members : 0) + 200;
if (openFilesLimit() < needed) {
  console.error(`open files limit is ${openFilesLimit()}, the run needs about ${needed}: raise it (ulimit -n ${needed * 2}) and run again`);
  process.exit(2);
}

const started = performance.now();
console.log(`MChat bench${quick ? ' (--quick)' : ''}: ${only.join(', ')}`);
const stack: BenchStack = await startBenchStack();
const results: BenchResult[] = [];
const timings: string[] = [];
let failed = false;
try {
  for (const [k, name] of only.entries()) {
    const t0 = performance.now();
    process.stdout.write(`running ${name}… `);
    try {
      const run: Record<Name, () => Promise<BenchResult>> = {
        memory: () => runMemory(stack, sizes.memory, k === 0),
        latency: () => runLatency(stack, sizes.latency),
        throughput: () => runThroughput(stack, sizes.throughput),
        fanout: () => runFanout(stack, sizes.fanout),
        catchup: () => runCatchup(stack, sizes.catchup),
        agents: () => runAgents(stack, sizes.agents),
      };
      results.push(await run[name]());
    } catch (err) {
      failed = true;
      const message = err instanceof Error ? err.message : String(err);
      results.push({ rows: [{ bench: name, metric: 'FAILED', gateway: message, raw: '' }] });
      // Whatever it left behind must not weigh on the next one.
      await stack.restartGateway().catch(() => undefined);
    }
    const took = fmtMs(performance.now() - t0);
    timings.push(`${name} ${took}`);
    console.log(took);
  }
} finally {
  await stack.stop();
}

const rows: Row[] = results.flatMap((r) => r.rows);
const goals: Goal[] = results.flatMap((r) => r.goals ?? []);
const notes: string[] = results.flatMap((r) => r.notes ?? []);
console.log('');
console.log(`cores ${cpus().length} (${cpus()[0]?.model.trim() ?? '?'}), RAM ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
  `aedes ${version('aedes')}, mqtt.js ${version('mqtt')}, FerretDB ${stack.ferretDbVersion}, Redis local; MQTT: ${stack.mqttMode}`);
console.log('');
console.log(table(['benchmark', 'metric', 'gateway', 'raw aedes', 'notes'], rows.map((r) => [r.bench, r.metric, r.gateway, r.raw, r.note ?? ''])));
if (goals.length > 0) {
  console.log('');
  console.log('Goals:');
  for (const g of goals) console.log(`  [${g.met ? 'met' : 'NOT MET'}] ${g.goal}: ${g.measured}`);
}
if (notes.length > 0) {
  console.log('');
  console.log('Notes:');
  for (const n of notes) console.log(`  - ${n}`);
}
console.log('');
console.log(`run time ${fmtMs(performance.now() - started)} (${timings.join(', ')})`);
process.exit(failed ? 1 : 0);
