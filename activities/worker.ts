import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig, SERVICE_USERNAME } from '../lib/config.js';
import { connectDb, models } from '../lib/db.js';
import { createLogger } from '../lib/logger.js';
import { MessageStore } from '../lib/messages.js';
import { connectService, mqttPublisher } from '../lib/publisher.js';
import { createActivities } from './activities.js';

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
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: fileURLToPath(new URL('../workflows/workflows.ts', import.meta.url)),
    activities: createActivities({ m, store: new MessageStore(m), publisher: mqttPublisher(mqtt) }),
  });
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker running');
  // Worker.run() returns after SIGINT/SIGTERM once in-flight tasks are handed back.
  await worker.run();
  await Promise.all([connection.close(), mqtt.endAsync(), db.close()]);
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  createLogger('worker').fatal({ err }, 'worker failed');
  process.exit(1);
});
