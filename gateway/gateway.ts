import type { Server } from 'node:http';
import { Connection, Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { orgCache } from '../lib/org-cache.js';
import { RecentMessages } from '../lib/recent.js';
import { Presence, employeeOfClient, errorResponse, isTopicId, parseTopic, topics } from '../schemas/index.js';
import { Tokens } from '../lib/auth.js';
import { SERVICE_USERNAME, type Config } from '../lib/config.js';
import { connectDb, models } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import { redisSerializer } from '../lib/locks.js';
import { MessageStore } from '../lib/messages.js';
import { objectStore } from '../lib/objects.js';
import { connectService, mqttPublisher, type Publisher } from '../lib/publisher.js';
import type { Principal } from './acl.js';
import { AgentDirectory, routedDispatcher, temporalDispatcher, temporalSchedules, temporalWork } from './agents.js';
import { queuedDispatcher } from './dispatch-queue.js';
import { groupMemberships, mqttAuthenticator } from './auth.js';
import { startEmbeddedBroker } from './broker.js';
import type { Caller, GatewayContext } from './context.js';
import { httpApi } from './http.js';
import { FileLinks } from './media.js';
import { handleRequest } from './ingress.js';
import { PresenceTracker } from './presence.js';
import { GroupReceipts } from './receipts.js';
import { senderLimiter } from './limits.js';
import { OrgAnnouncer, type LiveAcl } from './admin/effects.js';
import { seedDemo } from './seed.js';

export interface Gateway {
  httpPort: number;
  close(): Promise<void>;
}

/** Requests relayed by an external broker (EMQX rule) with the identity it authenticated. */
const INGRESS_FILTER = '$share/mchat-gateway/mchat/ingress/#';
const INGRESS = /^mchat\/ingress\/(?:req\/([^/]+)\/([^/]+)|admin\/([^/]+))$/;

export async function startGateway(config: Config, log: Logger): Promise<Gateway> {
  const db = await connectDb(config.MONGO_URL);
  const m = models(db);
  if (config.MCHAT_SEED_DEMO) {
    await seedDemo(m, { agentUrl: config.DEMO_AGENT_URL, agentSecret: config.DEMO_AGENT_SECRET, password: config.MCHAT_DEMO_PASSWORD });
  }
  const redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis error'));
  await redis.connect();
  // Lazy: Temporal being down must not keep the gateway (and chat) from starting; /healthz tells.
  const temporalConnection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection: temporalConnection, namespace: config.TEMPORAL_NAMESPACE });
  const tokens = new Tokens(config.MCHAT_JWT_SECRET, config.MCHAT_TOKEN_TTL_SECONDS);
  const auth = { m, tokens, serviceSecret: config.MCHAT_SERVICE_SECRET };
  const memberships = groupMemberships(m);
  const files = new FileLinks(config.MCHAT_SERVICE_SECRET, config.MCHAT_LINK_TTL_SECONDS);
  const media = { store: objectStore(config), links: files, maxUploadBytes: config.MCHAT_MAX_UPLOAD_BYTES };

  // Filled in once the broker is up: requests only arrive after that.
  // eslint-disable-next-line prefer-const -- the callbacks below read it before it is set; a `const` there would throw
  let ctx: GatewayContext | undefined;
  const presence = new PresenceTracker(redis, config.REDIS_PREFIX, log);
  const onPresence = (employeeId: string, payload: Buffer) => presence.record(employeeId, payload);
  const onRequest = (caller: Caller, seqId: string | undefined, payload: Buffer) => {
    if (ctx) void handleRequest(ctx, caller, seqId, payload);
  };

  // Before the broker: EMQX authenticates the gateway's own MQTT login through this API.
  let brokerUp: () => boolean = () => false;
  const app = httpApi({
    context: () => ctx,
    auth,
    m,
    tokens,
    memberships,
    serviceSecret: config.MCHAT_SERVICE_SECRET,
    presence,
    log,
    media,
    probes: {
      broker: async () => { if (!brokerUp()) throw new Error('not connected'); },
      temporal: () => temporalConnection.healthService.check({}),
      database: () => db.db!.admin().ping(),
      redis: () => redis.ping(),
    },
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.HTTP_PORT, config.HTTP_HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.HTTP_PORT;

  let publisher: Publisher;
  let liveAcl: LiveAcl;
  let closeBroker: () => Promise<void>;
  if (config.embeddedBroker) {
    const broker = await startEmbeddedBroker({
      host: config.MQTT_HOST,
      port: config.MQTT_PORT,
      wsPort: config.MQTT_WS_PORT,
      authenticate: mqttAuthenticator(auth),
      memberships,
      log,
      onOffline(employeeId) {
        // A clean disconnect drops the Last Will: say offline on the client's behalf.
        const offline: Presence = { state: 'offline', ts: Date.now() };
        presence.record(employeeId, offline);
        broker.publish(topics.status(employeeId), offline, { qos: 0, retain: true }).catch(() => undefined);
      },
      onPublish(principal: Principal, topic: string, payload: Buffer) {
        const t = parseTopic(topic);
        if (principal.kind !== 'employee') return;
        if (t?.kind === 'req') onRequest(principal, t.seqId, payload);
        else if (t?.kind === 'adminCmd') onRequest(principal, undefined, payload);
        else if (t?.kind === 'status') onPresence(t.employeeId, payload);
      },
    });
    // Nobody is connected to a broker that just started, whatever Redis remembers.
    await presence.reset();
    publisher = broker;
    liveAcl = broker;
    brokerUp = () => !broker.aedes.closed;
    closeBroker = () => broker.close();
  } else {
    const client = await connectService({
      url: config.MQTT_URL!,
      username: SERVICE_USERNAME.gateway,
      password: config.MCHAT_SERVICE_SECRET,
      clientId: `${SERVICE_USERNAME.gateway}-${process.pid}`,
    });
    client.on('message', (topic, payload) => {
      const ingress = INGRESS.exec(topic);
      if (ingress) {
        // req/{client_id}/{seq_id} for requests, admin/{client_id} for admin commands.
        const clientId = (ingress[1] ?? ingress[3])!;
        const seqId = ingress[2];
        if (!isTopicId(clientId) || (seqId !== undefined && !isTopicId(seqId))) return log.warn({ topic }, 'malformed ingress topic dropped');
        callerOf(clientId).then(
          (caller) => caller && onRequest(caller, seqId, payload),
          (err: unknown) => {
            log.error({ err, clientId, seqId }, 'could not identify the caller');
            if (seqId === undefined) return;
            const error = errorResponse(seqId, { code: 'E_UNAVAILABLE', message: 'the directory is unavailable; retry later' });
            publisher.publish(topics.resp(clientId, seqId), error, { qos: 1 }).catch(() => undefined);
          },
        );
        return;
      }
      const t = parseTopic(topic);
      if (t?.kind === 'status') onPresence(t.employeeId, payload);
    });
    // Re-subscribed on every (re)connect: the session is clean so the broker forgets them.
    const subscribe = () => client.subscribeAsync({ [INGRESS_FILTER]: { qos: 2 }, 'mchat/status/+': { qos: 0 } });
    client.on('connect', () => void subscribe().catch((err: unknown) => log.error({ err }, 'subscribe failed')));
    await subscribe();
    publisher = mqttPublisher(client);
    liveAcl = {
      // EMQX asks /internal/emqx/authz on every subscribe and publish (no cache), so a join, and a
      // disabled account's next publish or subscribe, apply at once. Cutting subscriptions that
      // already exist needs EMQX's REST API, which is not wired yet.
      refresh: async () => undefined,
      disconnect: (employeeId) => log.warn({ employeeId }, 'disabled employee stays connected until EMQX drops the session'),
    };
    brokerUp = () => client.connected;
    closeBroker = () => client.endAsync();
  }

  async function callerOf(clientId: string): Promise<Caller | undefined> {
    const id = employeeOfClient(clientId);
    const e = id ? await orgCache(m).activeEmployee(id) : null;
    if (!id || !e) log.warn({ clientId }, 'request from unknown client dropped');
    return id && e ? { id, clientId, role: e.role } : undefined;
  }

  const announce = new OrgAnnouncer(m, publisher, liveAcl, log);
  const directory = new AgentDirectory(m, log, config.MCHAT_AGENT_REFRESH_MS);
  await directory.start();
  const dispatcher = queuedDispatcher({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    target: temporalDispatcher({ client: temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, m, log, directory }),
    log,
  });
  const refreshAgents = () => directory.refresh().catch((err: unknown) => log.warn({ err }, 'could not refresh the agent directory'));
  const writes = redisSerializer(redis, config.REDIS_PREFIX, log);
  ctx = {
    m,
    writes,
    store: new MessageStore({ m, redis, prefix: config.REDIS_PREFIX, log, recent: new RecentMessages(redis, config.REDIS_PREFIX, log) }),
    publisher,
    agents: routedDispatcher(directory, dispatcher),
    work: temporalWork(temporal, config.TEMPORAL_TASK_QUEUE),
    admin: { m, announce, production: config.NODE_ENV === 'production', maxGroupSize: config.MCHAT_MAX_GROUP_SIZE,
      onAgentsChanged: refreshAgents, schedules: temporalSchedules(temporal, config.TEMPORAL_TASK_QUEUE),
      writes,
    },
    receipts: new GroupReceipts(m, publisher, log, config.MCHAT_RECEIPT_INTERVAL_MS),
    limiter: senderLimiter(redis, config.REDIS_PREFIX, config.MCHAT_RATE_LIMIT_PER_SECOND),
    log,
    maxPayloadBytes: config.MCHAT_MAX_PAYLOAD_BYTES,
    recallWindowMs: config.MCHAT_RECALL_WINDOW_MS,
    files,
  };
  // Retained state for whoever subscribes from now on; refreshed by every change.
  await announce.settle([announce.orgTree()]);

  log.info({ http: httpPort, embeddedBroker: config.embeddedBroker }, 'gateway listening');

  return {
    httpPort,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await ctx?.receipts.close();
      directory.stop();
      await dispatcher.close();
      await closeBroker();
      await Promise.allSettled([temporalConnection.close(), db.close(), redis.quit()]);
    },
  };
}
