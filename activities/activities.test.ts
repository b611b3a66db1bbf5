import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { AgentProfile, type AgentRequest, type Employee, type Task, type WorkflowRun } from '../schemas/index.js';
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

/** The follow-up's two activities, against the real FerretDB and a real HTTP agent. */
describe('telling an agent of a decision', () => {
  let conn: Connection;
  let activities: ReturnType<typeof createActivities>;
  let redis: Redis;
  let store: MessageStore;
  let agent: Server;
  const seen: { body: string; signature: string | undefined }[] = [];
  beforeAll(async () => {
    redis = new Redis(inject('services').redisUrl, { maxRetriesPerRequest: 1 });
    conn = await connectDb(inject('services').mongoUrl.replace(/\/mchat$/, `/t_activities_told_${Date.now()}`));
    const m = models(conn);
    agent = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ body, signature: req.headers['x-mchat-signature'] as string | undefined });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
    const person = { department_id: null, manager_id: null, title: '', skills_badge: [], role: 'member' as const, status: 'active' as const, created_at: 1 };
    const employees: Employee[] = [
      { ...person, id: 'u_wang', name: 'Wang Fang', is_ai_agent: false },
      {
        ...person, id: 'a_bot', name: 'Bot', is_ai_agent: true,
        agent_profile: AgentProfile.parse({ model_type: 't', webhook_endpoint: `http://127.0.0.1:${(agent.address() as AddressInfo).port}/`, response_timeout: 2 }),
      },
    ];
    await m.Employee.create(employees);
    await m.Credential.create({ employee_id: 'a_bot', api_secret: 'bot-secret' });
    store = new MessageStore({ m, redis, prefix: `activities-told-${Date.now()}:`, log: createLogger('test', 'silent') });
    activities = createActivities({ m, store, publisher: { publish: async () => undefined } });
  });
  afterAll(async () => {
    agent?.close();
    store?.close();
    await conn?.dropDatabase();
    await conn?.close();
    await redis?.quit();
  });

  const task: Task = {
    task_id: 't-1', workflow_id: 'wf-1', conversation_id: 'd:a_bot:u_li', approver_id: 'u_wang', requested_by: 'a_bot', asker_id: 'u_li',
    summary: 'refund 5000', state: 'rejected', created_at: 1, due_at: 2, decision: { by: 'u_wang', decision: 'reject', comment: 'no', ts: 3 },
  };

  it('describes the decision with the name of who made it', async () => {
    expect(await activities.decisionEvent(task)).toEqual({
      type: 'approval_decided', task_id: 't-1', summary: 'refund 5000', decision: 'reject', comment: 'no', approver: { id: 'u_wang', name: 'Wang Fang' }, decided_at: 3,
    });
    await expect(activities.decisionEvent({ ...task, state: 'pending', decision: undefined })).rejects.toThrow(/not decided/);
  });

  it('sends it signed, and takes a 204 as nothing to say', async () => {
    const event = await activities.decisionEvent(task);
    const request: AgentRequest = {
      interaction_id: 'wf-1#1', agent_id: 'a_bot', event,
      message: { msg_id: 'm1', conversation_id: 'd:a_bot:u_li', seq: 1, from: 'u_li', ts: 1, kind: 'text', client_msg_id: 'c1', body: { text: 'refund', mentions: [], attachments: [] } },
      context: { last_messages: [], asker: { id: 'u_li', name: 'Li Lei', title: '', department: null, manager: null } },
    };
    // callAgent reads its cancellation from the activity context.
    expect(await new MockActivityEnvironment().run(activities.callAgent, { agent_id: 'a_bot', request })).toEqual({ kind: 'silent' });
    const [call] = seen;
    expect(JSON.parse(call!.body)).toMatchObject({ event: { type: 'approval_decided', decision: 'reject' } });
    expect(call!.signature).toMatch(/^sha256=/);
  });
});
