import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mongoose';
import { hashPassword, Tokens } from '../lib/auth.js';
import { connectDb, models, type Models } from '../store/db.js';
import { startApp, tsx, waitFor, type AppProcess } from '../scripts/processes.js';
import { installServers } from '../scripts/servers/install.js';
import { FERRETDB_BIN, freePort, postgresBin, startDatabase, startRedis, startTemporal, type RunningServer } from '../scripts/servers/servers.js';

/** The password of every bench user: hashed once, written straight into the credentials. */
export const BENCH_PASSWORD = 'bench-password';

export interface BenchStack {
  /** Where MQTT clients connect: the gateway's embedded broker. */
  mqttUrl: string;
  httpUrl: string;
  /** `embedded` (aedes inside the gateway) or the MQTT_URL the gateway was given. */
  mqttMode: string;
  ferretDbVersion: string;
  gateway: AppProcess;
  /** Where the gateway's (and the raw broker's) logs go. */
  logDir: string;
  /** The processes whose CPU a phase is measured against. */
  pids(): Record<string, number>;
  m: Models;
  /** The Redis the gateway keeps its seq counters in, under `redisPrefix`. */
  redisUrl: string;
  redisPrefix: string;
  /** A session token for `employeeId`, minted with the gateway's own JWT secret (no scrypt per login). */
  token(employeeId: string): Promise<string>;
  /**
   * Replaces the organisation with exactly these members (and groups) and empties the message
   * collections, without restarting the gateway. The gateway caches employees and groups for a
   * moment and remembers each conversation's last seq, so every call takes ids no earlier call of
   * the run used: each benchmark (and latency phase) has a prefix of its own.
   */
  populate(ids: readonly string[], groups?: readonly { id: string; members: readonly string[] }[]): Promise<void>;
  /** Stops the gateway and starts a new one (fresh heap, no backlog) on new ports, same data. */
  restartGateway(): Promise<void>;
  /**
   * Starts a Temporal dev server, points a new gateway at it and starts a worker: only the agent
   * bench needs them, so the messaging figures are taken without their load. Resolves with the
   * dev server's address.
   */
  withTemporal(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Redis and FerretDB as local child processes (scripts/servers), and the gateway as a real child
 * process with the bench's settings: no rate limit worth the name, warn-level logs, and Temporal
 * pointed at a closed port (it connects lazily and the bench's messages never address an agent).
 */
const REDIS_PREFIX = 'bench:';

export async function startBenchStack(): Promise<BenchStack> {
  installServers({ mosquitto: false });
  const dir = mkdtempSync(join(tmpdir(), 'mchat-bench-'));
  // PostgreSQL runs as its own user (under root), which must reach its folder in here.
  chmodSync(dir, 0o755);
  const logDir = join(dir, 'logs');
  const servers: RunningServer[] = [];
  let db: Connection | undefined;
  let gateway: AppProcess | undefined;
  let stopWorker: (() => Promise<void>) | undefined;
  const stop = async () => {
    await stopWorker?.();
    await gateway?.stop();
    await db?.close().catch(() => undefined);
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const external = process.env.MONGO_URL;
    const [redis, database] = await Promise.all([
      freePort().then((port) => startRedis({ port, dir: join(dir, 'redis') })),
      external ? Promise.resolve(undefined) : freePort().then((port) => startDatabase({ port, dir: join(dir, 'database') })),
    ]);
    servers.push(redis);
    if (database) servers.push(database);
    const mongoUrl = database?.url ?? external!;
    db = await connectDb(mongoUrl);
    const m = models(db);
    const jwtSecret = randomBytes(32).toString('base64url');
    const tokens = new Tokens(jwtSecret, 3600);
    const baseEnv: NodeJS.ProcessEnv = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      MCHAT_DATA_DIR: join(dir, 'gateway'),
      MONGO_URL: mongoUrl,
      REDIS_URL: redis.url,
      REDIS_PREFIX: REDIS_PREFIX,
      MCHAT_JWT_SECRET: jwtSecret,
      MCHAT_SERVICE_SECRET: randomBytes(32).toString('base64url'),
      MCHAT_RATE_LIMIT_PER_SECOND: '1000000',
      MCHAT_AGENT_RATE_PER_MINUTE: '1000000',
      // The agent bench's agent is written straight into the database: routing must see it soon.
      MCHAT_AGENT_REFRESH_MS: '500',
      MCHAT_SEED_DEMO: 'false',
      // The bench measures the embedded broker, whatever the shell says.
      MQTT_URL: undefined,
    };
    let temporalAddress: string | undefined;
    let worker: AppProcess | undefined;
    let temporalPid: number | undefined;
    const launch = async (): Promise<{ app: AppProcess; httpUrl: string; mqttUrl: string; env: NodeJS.ProcessEnv }> => {
      const [httpPort, mqttPort, wsPort, temporalPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
      const env = {
        ...baseEnv,
        HTTP_PORT: String(httpPort),
        MQTT_PORT: String(mqttPort),
        MQTT_WS_PORT: String(wsPort),
        // Until withTemporal(), nothing listens there: the gateway runs on, /healthz says temporal down.
        TEMPORAL_ADDRESS: temporalAddress ?? `127.0.0.1:${temporalPort}`,
      };
      // BENCH_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it stops (`--cpu-prof`).
      const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
      const app = startApp('gateway', [...profile, ...tsx('gateway/main.ts')], env, logDir);
      const httpUrl = `http://127.0.0.1:${httpPort}`;
      await waitFor('the gateway', () => ready(httpUrl), app);
      return { app, httpUrl, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, env };
    };

    let current = await launch();
    gateway = current.app;
    const hash = await hashPassword(BENCH_PASSWORD);

    const stack: BenchStack = {
      get mqttUrl() { return current.mqttUrl; },
      get httpUrl() { return current.httpUrl; },
      get gateway() { return current.app; },
      logDir,
      pids: () => ({
        gateway: current.app.child.pid!,
        ...(worker ? { worker: worker.child.pid! } : {}),
        ...(temporalPid ? { temporal: temporalPid } : {}),
        ...database?.pids,
        redis: redis.pid,
        bench: process.pid,
      }),
      mqttMode: 'embedded (MQTT_URL unset: aedes in the gateway process)',
      ferretDbVersion: external ? 'not used (MONGO_URL given)' : `${ferretDbVersion()} (PostgreSQL ${postgresVersion()} backend)`,
      m,
      redisUrl: redis.url,
      redisPrefix: REDIS_PREFIX,
      token: async (employeeId) => (await tokens.issue({ sub: employeeId, role: 'member' })).token,
      async populate(ids, groups = []) {
        await Promise.all([
          m.Employee.deleteMany({}), m.Credential.deleteMany({}), m.Group.deleteMany({}), m.Department.deleteMany({}),
          m.Message.deleteMany({}), m.Conversation.deleteMany({}), m.ReadCursor.deleteMany({}),
        ]);
        const now = Date.now();
        for (let i = 0; i < ids.length; i += 1000) {
          const chunk = ids.slice(i, i + 1000);
          await m.Employee.insertMany(chunk.map((id) => ({
            id, name: `Bench ${id}`, title: 'Bench user', department_id: null, manager_id: null, skills_badge: [],
            role: 'member', status: 'active', is_ai_agent: false, created_at: now,
          })), { ordered: false });
          await m.Credential.insertMany(chunk.map((id) => ({ employee_id: id, password_hash: hash })), { ordered: false });
        }
        for (const g of groups) {
          await m.Group.create({ id: g.id, name: `Bench ${g.id}`, owner_id: g.members[0]!, members: [...g.members], created_at: now, dissolved: false });
        }
      },
      async restartGateway() {
        await current.app.stop();
        current = await launch();
        gateway = current.app;
      },
      async withTemporal() {
        const temporal = await freePort().then((port) => startTemporal({ port, dir: join(dir, 'temporal') }));
        servers.push(temporal);
        temporalAddress = temporal.url;
        temporalPid = temporal.pid;
        await stack.restartGateway();
        worker = startApp('worker', tsx('activities/worker.ts'), current.env, logDir);
        stopWorker = () => worker!.stop();
        return temporal.url;
      },
      stop,
    };
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Serving HTTP with the broker and the database up; temporal is allowed to be down. */
async function ready(httpUrl: string): Promise<boolean> {
  const res = await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(3_000) });
  const body = (await res.json()) as { dependencies?: Record<string, { status: string }> };
  const deps = body.dependencies ?? {};
  return deps.broker?.status === 'up' && deps.database?.status === 'up' && deps.redis?.status === 'up';
}

function postgresVersion(): string {
  const out = execFileSync(postgresBin('postgres'), ['--version'], { encoding: 'utf8' });
  return /(\d+\.\d+)/.exec(out)?.[1] ?? 'unknown';
}

function ferretDbVersion(): string {
  const out = execFileSync(FERRETDB_BIN, ['--version'], { encoding: 'utf8' });
  return /version:\s*(\S+)/.exec(out)?.[1] ?? out.split('\n')[0] ?? 'unknown';
}
