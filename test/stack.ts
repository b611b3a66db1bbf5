import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { connectDb, models, type Models } from '../store/db.js';
import { freePort } from '../scripts/servers/servers.js';
import { httpOk, startApp, tsx, waitFor, type AppProcess } from '../scripts/processes.js';
import type { Connection } from 'mongoose';

export const DEMO_PASSWORD = 'test-password';

export interface Stack {
  httpUrl: string;
  mqttUrl: string;
  wsUrl: string;
  env: NodeJS.ProcessEnv;
  m: Models;
  db: Connection;
  gateway: AppProcess;
  logDir: string;
  /** Starts the Temporal worker (not every test needs one). */
  startWorker(): Promise<AppProcess>;
  /** Kills the worker with `signal`, runs `meanwhile`, and starts a new one (the demo agent keeps running). */
  restartWorker(signal: NodeJS.Signals, meanwhile?: () => Promise<void>): Promise<void>;
  /** Kills the gateway with `signal` and starts it again on the same ports, data and secrets. */
  restartGateway(signal: NodeJS.Signals): Promise<void>;
  login(employeeId: string, password?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Extra environment for the gateway, e.g. MQTT_URL for an external broker. */
  env?: NodeJS.ProcessEnv;
  worker?: boolean;
}

/**
 * A gateway (and optionally worker and demo agent) as real child processes against the run's
 * shared servers, with a database of its own so test files cannot see each other's data.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const services = inject('services');
  const dataDir = mkdtempSync(join(services.dir, 'stack-'));
  const logDir = join(dataDir, 'logs');
  const [httpPort, mqttPort, wsPort, agentPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const dbName = `t_${httpPort}`;
  const mongoUrl = services.mongoUrl.replace(/\/mchat$/, `/${dbName}`);
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    MCHAT_DATA_DIR: dataDir,
    HTTP_PORT: String(httpPort),
    MQTT_PORT: String(mqttPort),
    MQTT_WS_PORT: String(wsPort),
    MONGO_URL: mongoUrl,
    REDIS_URL: services.redisUrl,
    // Stacks share the run's Redis: each keeps to its own keys.
    REDIS_PREFIX: `t${httpPort}:`,
    TEMPORAL_ADDRESS: services.temporalAddress,
    TEMPORAL_TASK_QUEUE: `mchat-${httpPort}`,
    DEMO_AGENT_PORT: String(agentPort),
    DEMO_AGENT_URL: `http://127.0.0.1:${agentPort}`,
    MCHAT_SEED_DEMO: 'true',
    MCHAT_DEMO_PASSWORD: DEMO_PASSWORD,
    ...opts.env,
  };
  const db = await connectDb(mongoUrl);
  const m = models(db);

  const apps: AppProcess[] = [];
  let currentWorker: AppProcess | undefined;
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const startGateway = async () => {
    const gateway = startApp('gateway', tsx('gateway/main.ts'), env, logDir);
    apps.push(gateway);
    await waitFor('the gateway', () => httpOk(`${httpUrl}/healthz`), gateway);
    return gateway;
  };
  let gateway = await startGateway();

  const stack: Stack = {
    httpUrl,
    mqttUrl: opts.env?.MQTT_URL ?? `mqtt://127.0.0.1:${mqttPort}`,
    wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`,
    env,
    m,
    db,
    get gateway() {
      return gateway;
    },
    logDir,
    async restartGateway(signal) {
      const exited = new Promise((resolve) => gateway.child.once('exit', resolve));
      gateway.child.kill(signal);
      await exited;
      apps.splice(apps.indexOf(gateway), 1);
      gateway = await startGateway();
    },
    async startWorker() {
      const agent = startApp('demo-agent', tsx('agents/demo/main.ts'), env, logDir);
      const worker = startApp('worker', tsx('activities/worker.ts'), env, logDir);
      apps.push(agent, worker);
      currentWorker = worker;
      await waitFor('the demo agent', async () => (await fetch(`http://127.0.0.1:${agentPort}/`)).status === 404, agent);
      return worker;
    },
    async restartWorker(signal, meanwhile) {
      const old = currentWorker;
      if (!old) throw new Error('no worker to restart');
      const exited = new Promise((resolve) => old.child.once('exit', resolve));
      old.child.kill(signal);
      await exited;
      apps.splice(apps.indexOf(old), 1);
      await meanwhile?.();
      currentWorker = startApp('worker', tsx('activities/worker.ts'), env, logDir);
      apps.push(currentWorker);
    },
    async login(employeeId, password = DEMO_PASSWORD) {
      const res = await fetch(`${httpUrl}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ employee_id: employeeId, password }),
      });
      if (!res.ok) throw new Error(`login ${employeeId}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
    async stop() {
      await Promise.all(apps.reverse().map((a) => a.stop()));
      await db.dropDatabase().catch(() => undefined);
      await db.close();
    },
  };
  if (opts.worker) await stack.startWorker();
  return stack;
}
