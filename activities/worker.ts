import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { agentRateLimiter, sensitiveFilter } from '../lib/guards.js';
import { loadConfig, SERVICE_USERNAME } from '../lib/config.js';
import { connectDb, models } from '../store/db.js';
import { redisLocks } from '../store/locks.js';
import { createLogger } from '../lib/logger.js';
import { MessageStore } from '../store/messages.js';
import { RecentMessages } from '../store/recent.js';
import { connectService, mqttPublisher } from '../store/publisher.js';
import { createActivities } from './activities.js';
import type { AgentGuards } from './deps.js';

/** The Temporal worker process: runs MChat's workflows and the activities that do their I/O. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('worker', config.LOG_LEVEL);
  const db = await connectDb(config.MONGO_URL);
  const m = models(db);
  const mqtt = await connectService({
    url: config.MQTT_URL ?? `mqtt://${config.MQTT_HOST}:${config.MQTT_PORT}`,
    username: SERVICE_USERNAME.worker,
    password: config.MCHAT_SERVICE_SECRET,
    clientId: `${SERVICE_USERNAME.worker}-${process.pid}`,
  });
  // Rate limits are shared by every worker through Redis (with an in-memory fallback when it is down).
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis error'));
  const limiter = agentRateLimiter(redis, config.REDIS_PREFIX, config.MCHAT_AGENT_RATE_PER_MINUTE);
  const mask = sensitiveFilter(config.MCHAT_SENSITIVE_WORDS);
  const guards: AgentGuards = {
    take: (agentId) => limiter.take(agentId),
    filter(text) {
      const { text: masked, hits } = mask(text);
      if (hits.length) log.info({ hits }, 'sensitive words masked in agent output');
      return masked;
    },
  };
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: fileURLToPath(new URL('../workflows/workflows.ts', import.meta.url)),
    // A workflow cached on a worker that died waits this long before another worker takes it.
    stickyQueueScheduleToStartTimeout: '3 seconds',
    activities: createActivities({
      m,
      store: new MessageStore({ m, redis, prefix: config.REDIS_PREFIX, log, recent: new RecentMessages(redis, config.REDIS_PREFIX, log) }),
      publisher: mqttPublisher(mqtt),
      guards,
      approvalTimeoutMs: config.MCHAT_APPROVAL_TIMEOUT_MS,
      onDutyEmployee: config.MCHAT_ONDUTY_EMPLOYEE,
      handoffPickupMs: config.MCHAT_HANDOFF_PICKUP_MS,
      locks: redisLocks(redis, config.REDIS_PREFIX, log),
    }),
  });
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker running');
  // Worker.run() returns after SIGINT/SIGTERM once in-flight tasks are handed back.
  await worker.run();
  await Promise.all([connection.close(), mqtt.endAsync(), db.close(), redis.quit().catch(() => undefined)]);
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  createLogger('worker').fatal({ err }, 'worker failed');
  process.exit(1);
});
