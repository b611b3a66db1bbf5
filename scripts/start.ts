import { join } from 'node:path';
import { loadConfig } from '../lib/config.js';
import { installServers } from './servers/install.js';
import { freePort, portOpen, startDatabase, startRedis, startTemporal, type RunningServer } from './servers/servers.js';
import { httpOk, startApp, tsx, waitFor, type AppProcess } from './processes.js';
import { ensureWebBuild, startWeb } from './web.js';
import { DEMO_LOGINS } from '../agents/demo/seed.js';

/**
 * `npm start`: the whole MChat stack on local defaults. Servers named by MQTT_URL, TEMPORAL_ADDRESS,
 * MONGO_URL or REDIS_URL are used as they are; the others are installed if missing and started
 * here with their data under MCHAT_DATA_DIR (.mchat), so a restart keeps the chats.
 */
const env = process.env;
const config = loadConfig(env);
const dataDir = config.MCHAT_DATA_DIR;
const logDir = join(dataDir, 'logs');
const servers: RunningServer[] = [];
const apps: AppProcess[] = [];
let stopping = false;

/** The default port if it is free, else any free port: a busy 6379 is usually someone else's Redis. */
async function portFor(preferred: number): Promise<number> {
  return (await portOpen(preferred)) ? freePort() : preferred;
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping MChat…');
    for (const app of apps.reverse()) await app.stop();
    await Promise.all(servers.map((s) => s.stop()));
  }
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

async function main(): Promise<void> {
  const local = { redis: !env.REDIS_URL, mongo: !env.MONGO_URL, temporal: !env.TEMPORAL_ADDRESS };
  if (local.redis || local.mongo || local.temporal) installServers({ mosquitto: false });

  const urls: NodeJS.ProcessEnv = {};
  if (local.redis) {
    const s = await startRedis({ port: await portFor(6379), dir: join(dataDir, 'redis'), persistent: true });
    servers.push(s);
    urls.REDIS_URL = s.url;
  }
  if (local.mongo) {
    const s = await startDatabase({ port: await portFor(27017), dir: join(dataDir, 'database'), persistent: true });
    servers.push(s);
    urls.MONGO_URL = s.url;
  }
  let temporalUi = '';
  if (local.temporal) {
    const uiPort = await portFor(8233);
    temporalUi = `  (Web UI: http://localhost:${uiPort})`;
    const s = await startTemporal({ port: await portFor(7233), uiPort, dir: join(dataDir, 'temporal') });
    servers.push(s);
    urls.TEMPORAL_ADDRESS = s.url;
  }

  const demoAgentPort = Number(env.DEMO_AGENT_PORT ?? 8090);
  const webPort = Number(env.WEB_PORT ?? 3000);
  const gatewayUrl = `http://127.0.0.1:${config.HTTP_PORT}`;
  const appEnv: NodeJS.ProcessEnv = {
    ...urls,
    MCHAT_DATA_DIR: dataDir,
    MCHAT_SEED_DEMO: 'true',
    DEMO_AGENT_URL: `http://127.0.0.1:${demoAgentPort}`,
    DEMO_AGENT_PORT: String(demoAgentPort),
  };

  const gateway = startApp('gateway', tsx('gateway/main.ts'), appEnv, logDir);
  apps.push(gateway);
  await waitFor('the gateway', () => httpOk(`${gatewayUrl}/healthz`), gateway);
  // The research agent answers later, by posting to the gateway's callback URL.
  apps.push(startApp('demo-agent', tsx('agents/demo/main.ts'), { ...appEnv, DEMO_AGENT_MCHAT_URL: gatewayUrl }, logDir));
  apps.push(startApp('worker', tsx('activities/worker.ts'), appEnv, logDir));
  ensureWebBuild();
  apps.push(await startWeb({
    port: webPort,
    origin: `http://localhost:${webPort}`,
    gatewayUrl,
    mqttWsUrl: config.PUBLIC_MQTT_WS_URL,
    logDir,
    maxUploadBytes: config.MCHAT_MAX_UPLOAD_BYTES,
  }));
  for (const app of apps) {
    app.child.once('exit', (code) => {
      if (stopping) return;
      console.error(`${app.name} exited (${code}); see ${join(logDir, `${app.name}.log`)}`);
      void shutdown(1);
    });
  }

  console.log(`
MChat is running.

  Open        http://localhost:${webPort}
  Logins      ${DEMO_LOGINS.join(', ')}  (password: ${config.MCHAT_DEMO_PASSWORD})
              u_wang is an admin; a_sales is the AI sales assistant: try "查订单 SO-1001"
              a_finance does refunds ("退款 SO-1003") and invoices; a_research answers later ("调研 ai")
  Gateway     ${gatewayUrl}  (health: ${gatewayUrl}/healthz)
  MQTT        mqtt://${config.MQTT_HOST}:${config.MQTT_PORT}  ws: ${config.PUBLIC_MQTT_WS_URL}
  Temporal    ${urls.TEMPORAL_ADDRESS ?? config.TEMPORAL_ADDRESS}${temporalUi}
  Database    ${urls.MONGO_URL ?? config.MONGO_URL}
  Redis       ${urls.REDIS_URL ?? config.REDIS_URL}
  Data, logs  ${dataDir}

Ctrl-C stops everything.`);
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  await shutdown(1);
});
