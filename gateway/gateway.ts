import type { Server } from 'node:http';
import { Connection, Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { Tokens } from '../lib/auth.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { connectDb, models } from '../store/db.js';
import { redisSerializer } from '../store/locks.js';
import { MessageStore } from '../store/messages.js';
import { objectStore } from '../store/objects.js';
import { orgCache } from '../store/org-cache.js';
import { RecentMessages } from '../store/recent.js';
import { seedDemo } from '../agents/demo/seed.js';
import { OrgAnnouncer } from './admin/effects.js';
import { AgentDirectory, routedDispatcher } from './agents/directory.js';
import { queuedDispatcher, type QueuedDispatcher } from './agents/queue.js';
import { temporalDispatcher, temporalSchedules, temporalWork } from './agents/temporal.js';
import { groupMemberships, mqttAuthenticator, type AuthOptions } from './auth.js';
import { embeddedTransport } from './broker/embedded.js';
import { externalTransport } from './broker/external.js';
import { PresenceTracker, type PresenceTiming } from './broker/presence.js';
import type { Memberships } from './broker/acl.js';
import type { BrokerEvents, BrokerTransport } from './broker/transport.js';
import type { GatewayContext } from './context.js';
import { FileLinks } from './files.js';
import { httpApi } from './http/api.js';
import type { HttpApiOptions } from './http/options.js';
import { handleRequest } from './ingress.js';
import { senderLimiter } from './limits.js';
import { GroupReceipts } from './receipts.js';

export interface Gateway {
  httpPort: number;
  close(): Promise<void>;
}

/** The servers the gateway talks to, connected (Temporal lazily: chat must start without it). */
async function connectServers(config: Config, log: Logger) {
  const db = await connectDb(config.MONGO_URL);
  // Auto-pipelining: the commands of one event-loop turn (every message's rate limit, seq
  // reservation, recent list…) go out in one write, not a syscall each.
  const redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, enableAutoPipelining: true });
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis error'));
  await redis.connect();
  // Lazy: Temporal being down must not keep the gateway (and chat) from starting; /healthz tells.
  const temporalConnection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection: temporalConnection, namespace: config.TEMPORAL_NAMESPACE });
  return {
    db, m: models(db), redis, temporal, temporalConnection,
    close: () => Promise.allSettled([temporalConnection.close(), db.close(), redis.quit()]),
  };
}
type Servers = Awaited<ReturnType<typeof connectServers>>;

async function listen(app: ReturnType<typeof httpApi>, config: Config): Promise<{ server: Server; port: number }> {
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.HTTP_PORT, config.HTTP_HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : config.HTTP_PORT };
}

/** How often each gateway renews the devices it holds, and sweeps the expired ones. */
const PRESENCE_RENEW_MS = 30_000;

/**
 * A device held by an embedded broker counts for three renewals, so one whose gateway died is gone
 * within 90 s. Behind EMQX the broker holds connections and says when they end; a device is
 * renewed when it is heard from, and the day is only the bound on a disconnect that never came.
 */
function presenceTiming(embedded: boolean): PresenceTiming {
  return { deviceTtlMs: embedded ? 3 * PRESENCE_RENEW_MS : 24 * 3_600_000, endedTtlMs: 10 * 60_000 };
}

function startTransport(
  config: Config, log: Logger, auth: AuthOptions, memberships: Memberships, presence: PresenceTracker, events: BrokerEvents,
) {
  if (config.embeddedBroker) {
    return embeddedTransport({
      host: config.MQTT_HOST, port: config.MQTT_PORT, wsPort: config.MQTT_WS_PORT,
      authenticate: mqttAuthenticator(auth), memberships, presence, presenceRenewMs: PRESENCE_RENEW_MS, events, log,
    });
  }
  return externalTransport({
    url: config.MQTT_URL!, serviceSecret: config.MCHAT_SERVICE_SECRET, events, presence, presenceRenewMs: PRESENCE_RENEW_MS, log,
    statusRewritten: config.MQTT_STATUS_REWRITE,
    employee: (id) => orgCache(auth.m).activeEmployee(id),
  });
}

/** Messages that address agents: routed here from memory, queued in Redis, started in Temporal. */
async function startAgentDispatch(config: Config, log: Logger, { m, temporal }: Servers) {
  const directory = new AgentDirectory(m, log, config.MCHAT_AGENT_REFRESH_MS);
  await directory.start();
  const queue: QueuedDispatcher = queuedDispatcher({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    target: temporalDispatcher({ client: temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, m, log }),
    log,
  });
  return {
    directory,
    dispatcher: routedDispatcher(directory, queue),
    async close() {
      directory.stop();
      await queue.close();
    },
  };
}

function buildContext(
  config: Config, log: Logger, { m, redis, temporal }: Servers, broker: BrokerTransport,
  agents: Awaited<ReturnType<typeof startAgentDispatch>>, files: FileLinks,
): GatewayContext {
  const writes = redisSerializer(redis, config.REDIS_PREFIX, log);
  const refreshAgents = () => agents.directory.refresh().catch((err: unknown) => log.warn({ err }, 'could not refresh the agent directory'));
  return {
    m,
    writes,
    store: new MessageStore({ m, redis, prefix: config.REDIS_PREFIX, log, recent: new RecentMessages(redis, config.REDIS_PREFIX, log) }),
    publisher: broker.publisher,
    agents: agents.dispatcher,
    work: temporalWork(temporal, config.TEMPORAL_TASK_QUEUE),
    admin: {
      m, announce: new OrgAnnouncer(m, broker.publisher, broker.acl, log), production: config.NODE_ENV === 'production',
      maxGroupSize: config.MCHAT_MAX_GROUP_SIZE, onAgentsChanged: refreshAgents,
      schedules: temporalSchedules(temporal, config.TEMPORAL_TASK_QUEUE), writes,
    },
    receipts: new GroupReceipts(m, broker.publisher, log, config.MCHAT_RECEIPT_INTERVAL_MS),
    limiter: senderLimiter(redis, config.REDIS_PREFIX, config.MCHAT_RATE_LIMIT_PER_SECOND),
    log,
    maxPayloadBytes: config.MCHAT_MAX_PAYLOAD_BYTES,
    recallWindowMs: config.MCHAT_RECALL_WINDOW_MS,
    files,
  };
}

function healthProbes(servers: Servers, broker: () => BrokerTransport | undefined): HttpApiOptions['probes'] {
  return {
    broker: async () => { if (!broker()?.connected()) throw new Error('not connected'); },
    temporal: () => servers.temporalConnection.healthService.check({}),
    database: () => servers.db.db!.admin().ping(),
    redis: () => servers.redis.ping(),
  };
}

export async function startGateway(config: Config, log: Logger): Promise<Gateway> {
  const servers = await connectServers(config, log);
  const { m, redis } = servers;
  if (config.MCHAT_SEED_DEMO) {
    await seedDemo(m, { agentUrl: config.DEMO_AGENT_URL, agentSecret: config.DEMO_AGENT_SECRET, password: config.MCHAT_DEMO_PASSWORD });
  }
  const tokens = new Tokens(config.MCHAT_JWT_SECRET, config.MCHAT_TOKEN_TTL_SECONDS);
  const auth = { m, tokens, serviceSecret: config.MCHAT_SERVICE_SECRET };
  const files = new FileLinks(config.MCHAT_SERVICE_SECRET, config.MCHAT_LINK_TTL_SECONDS);
  const presence = new PresenceTracker(redis, config.REDIS_PREFIX, presenceTiming(config.embeddedBroker));
  // One for the broker's subscribe checks and the EMQX ACL hook: employees asking at once share a query.
  const memberships = groupMemberships(m);

  // Both filled in below; requests only arrive once the broker is up.
  const live: { ctx?: GatewayContext; broker?: BrokerTransport } = {};
  const events: BrokerEvents = {
    onRequest: (caller, seqId, payload) => void (live.ctx && handleRequest(live.ctx, caller, seqId, payload)),
  };

  // Before the broker: EMQX authenticates the gateway's own MQTT login through this API.
  const http = await listen(httpApi({
    context: () => live.ctx, auth, m, tokens, memberships, serviceSecret: config.MCHAT_SERVICE_SECRET,
    presence, log, media: { store: objectStore(config), links: files, maxUploadBytes: config.MCHAT_MAX_UPLOAD_BYTES },
    probes: healthProbes(servers, () => live.broker),
  }), config);
  const broker = (live.broker = await startTransport(config, log, auth, memberships, presence, events));
  const agents = await startAgentDispatch(config, log, servers);
  const ctx = (live.ctx = buildContext(config, log, servers, broker, agents, files));
  // Retained state for whoever subscribes from now on; refreshed by every change.
  await ctx.admin.announce.settle([ctx.admin.announce.orgTree()]);

  log.info({ http: http.port, embeddedBroker: config.embeddedBroker }, 'gateway listening');
  return {
    httpPort: http.port,
    async close() {
      const closed = new Promise<void>((resolve) => http.server.close(() => resolve()));
      http.server.closeAllConnections();
      await closed;
      await ctx.receipts.close();
      await agents.close();
      await broker.close();
      await servers.close();
    },
  };
}
