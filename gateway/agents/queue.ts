import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Message } from '../../schemas/index.js';
import type { Logger } from '../../lib/logger.js';
import type { RouteDispatcher } from './directory.js';
import type { Route } from './routing.js';

interface DispatchJob {
  message: Message;
  route: Route;
}

export interface QueuedDispatcherOptions {
  redisUrl: string;
  /** Key prefix, so installations sharing a Redis keep their queues apart. */
  prefix: string;
  /** Starts the agent work for real (Temporal). */
  target: RouteDispatcher;
  log: Logger;
  attempts?: number;
  backoffMs?: number;
}

export interface QueuedDispatcher extends RouteDispatcher {
  close(): Promise<void>;
}

/**
 * Agent work goes through a BullMQ queue in Redis: `msg.send` returns as soon as the job is
 * queued (off the hot path), and a message that asked an agent something while Temporal was down
 * is started when it is back, with backoff, instead of being lost. The job carries the route the
 * gateway computed when it stored the message, so the message is routed once. The job id is the
 * message id, so a message is queued once however often it is redelivered.
 */
export function queuedDispatcher(opts: QueuedDispatcherOptions): QueuedDispatcher {
  // BullMQ blocks on its connection and must wait out Redis restarts rather than fail commands.
  const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', (err) => opts.log.debug({ err: err.message }, 'dispatch queue redis error'));
  const prefix = `${opts.prefix}bull`;
  const queue = new Queue<DispatchJob>('agent-dispatch', { connection, prefix });
  const worker = new Worker<DispatchJob>(
    'agent-dispatch',
    async (job) => opts.target.dispatch(job.data.message, job.data.route),
    { connection, prefix, concurrency: 16 },
  );
  worker.on('failed', (job, err) =>
    opts.log.warn({ err, msg_id: job?.id, attempt: job?.attemptsMade }, 'agent dispatch failed; it will be retried while attempts last'),
  );
  return {
    async dispatch(message, route) {
      await queue.add('dispatch', { message, route }, {
        jobId: message.msg_id,
        attempts: opts.attempts ?? 20,
        backoff: { type: 'exponential', delay: opts.backoffMs ?? 500 },
        removeOnComplete: 10_000,
        removeOnFail: 10_000,
      });
    },
    async close() {
      await worker.close();
      await queue.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
