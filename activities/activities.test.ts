import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WorkflowRun } from '../schemas/index.js';
import { connectDb, models, type Models } from '../store/db.js';
import { createLogger } from '../lib/logger.js';
import { MessageStore } from '../store/messages.js';
import { createActivities } from './activities.js';

/** Against the run's real FerretDB; MQTT is a recorder of what would be published. */
describe('reportWorkflow', () => {
  let conn: Connection;
  let m: Models;
  const published: { topic: string; event: unknown }[] = [];
  let activities: ReturnType<typeof createActivities>;
  let redis: Redis;
  let store: MessageStore;
  beforeAll(async () => {
    redis = new Redis(inject('services').redisUrl, { maxRetriesPerRequest: 1 });
    conn = await connectDb(inject('services').mongoUrl.replace(/\/mchat$/, `/t_activities_${Date.now()}`));
    m = models(conn);
    const publisher = { publish: async (topic: string, event: unknown) => void published.push({ topic, event }) };
    store = new MessageStore({ m, redis, prefix: `activities-test-${Date.now()}:`, log: createLogger('test', 'silent') });
    activities = createActivities({ m, store, publisher });
  });
  afterAll(async () => {
    store?.close();
    await conn?.dropDatabase();
    await conn?.close();
    await redis?.quit();
  });

  const run = (workflow_id: string, status: WorkflowRun['status'], step: string, extra: Partial<WorkflowRun> = {}): WorkflowRun => ({
    workflow_id, kind: 'interaction', conversation_id: 'd:a_bot:u_li', started_by: 'u_li', status, step, hops: [], started_at: 1, updated_at: 2, ...extra,
  });
  const mirrored = (workflow_id: string) => m.WorkflowRun.find({ workflow_id }, { _id: 0 }).lean();

  it('creates the mirror with the first report, updates it with the next, and clears what is gone', async () => {
    await activities.reportWorkflow(run('wf-1', 'waiting', 'waiting for approval', { pending_task_id: 't-1' }), true);
    expect(await mirrored('wf-1')).toEqual([expect.objectContaining({ status: 'waiting', pending_task_id: 't-1' })]);
    await activities.reportWorkflow(run('wf-1', 'completed', 'done'));
    const [done] = await mirrored('wf-1');
    expect(done).toMatchObject({ status: 'completed', step: 'done' });
    expect(done).not.toHaveProperty('pending_task_id');
    const event = { v: 1, type: 'workflow', workflow_id: 'wf-1', conversation_id: 'd:a_bot:u_li', status: 'completed', step: 'done' };
    expect(published.slice(-2)).toEqual(expect.arrayContaining([{ topic: 'mchat/inbox/a_bot', event }, { topic: 'mchat/inbox/u_li', event }]));
  });

  it('treats a first report whose mirror exists (the step run again, or an older version wrote it) as an update', async () => {
    await activities.reportWorkflow(run('wf-2', 'running', 'calling a_bot'), true);
    await activities.reportWorkflow(run('wf-2', 'running', 'calling a_bot again'), true);
    await m.WorkflowRun.collection.insertOne({ ...run('wf-old', 'running', 'from before') });
    await activities.reportWorkflow(run('wf-old', 'completed', 'done'), true);
    expect(await mirrored('wf-2')).toEqual([expect.objectContaining({ step: 'calling a_bot again' })]);
    expect(await mirrored('wf-old')).toEqual([expect.objectContaining({ status: 'completed', step: 'done' })]);
  });
});
