import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { ulid } from 'ulid';
import { now, sleep } from '../clients.js';
import { summarize, type Summary } from '../stats.js';
import * as activities from './activities.js';

export interface BaselineOptions {
  interactions: number;
  ratePerSecond: number;
  burst: number;
}

export interface Baseline {
  roundTrip: Summary;
  completedPerSecond: number;
}

/**
 * Raw Temporal, the yardstick of the agent path: the same dev server, a worker with MChat's
 * settings (here in the bench's process, idle otherwise during this phase) running a workflow of
 * agentInteraction's shape that does nothing. Paced round trips, then a burst started at once.
 */
export async function runTemporalBaseline(address: string, opts: BaselineOptions): Promise<Baseline> {
  // The SDK's own INFO lines would bury the bench's output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const taskQueue = `baseline-${ulid()}`;
  const workerConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: workerConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    stickyQueueScheduleToStartTimeout: '3 seconds',
    activities,
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const execute = () => client.workflow.execute('baselineRoundTrip', { taskQueue, workflowId: `baseline-${ulid()}`, args: ['q'] });
  try {
    return await worker.runUntil(async () => {
      await execute(); // warm-up: the first task loads the bundle
      const times: Promise<number>[] = [];
      for (let i = 0; i < opts.interactions; i++) {
        const t0 = now();
        times.push(execute().then(() => now() - t0, () => Infinity));
        await sleep(1000 / opts.ratePerSecond);
      }
      const roundTrip = summarize(await Promise.all(times));
      const t0 = now();
      await Promise.all(Array.from({ length: opts.burst }, () => execute()));
      return { roundTrip, completedPerSecond: opts.burst / ((now() - t0) / 1000) };
    });
  } finally {
    await connection.close();
    await workerConnection.close();
  }
}
