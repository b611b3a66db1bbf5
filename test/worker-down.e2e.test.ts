import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { directConversationId, type Event, type Task, type WorkflowRun } from '../schemas/index.js';
import { errorOf, TestClient } from './client.js';
import { startStack, type Stack } from './stack.js';

/**
 * An approver decides while no worker runs. The gateway cannot confirm the decision; it must say
 * so, the decision must take effect once when a worker is back, and sending it again must tell
 * the outcome. A stack of its own: the approval must not time out while the worker is away.
 */
describe('an approval decided while the worker is down', () => {
  let stack: Stack;
  let li: TestClient;
  let wang: TestClient;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    const connect = async (id: string) => TestClient.connect(stack.mqttUrl, id, await stack.login(id));
    [li, wang] = await Promise.all([connect('u_li'), connect('u_wang')]);
  });
  afterAll(async () => {
    await Promise.all([li?.close(), wang?.close()]);
    await stack?.stop();
  });

  async function runOf(workflowId: string, done: (r: WorkflowRun) => boolean, waitMs: number): Promise<WorkflowRun> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const run = await stack.m.WorkflowRun.findOne({ workflow_id: workflowId }, { _id: 0 }).lean<WorkflowRun>();
      if (run && done(run)) return run;
      if (Date.now() > deadline) throw new Error(`workflow ${workflowId}: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('is not confirmed, takes effect once when a worker is back, and its retry tells the outcome', async () => {
    // The demo finance agent asks its head, u_wang, to approve refunds over ¥1000.
    await li.ok('msg.send', { to: { direct: 'a_finance' }, client_msg_id: ulid(), body: { text: '退款 SO-1002' } });
    const event = await wang.waitFor((r) => (r.json as Event).type === 'task', 30_000);
    const task = (event.json as { task: Task }).task;
    expect(task).toMatchObject({ approver_id: 'u_wang', conversation_id: directConversationId('a_finance', 'u_li'), state: 'pending' });
    await runOf(task.workflow_id, (r) => r.status === 'waiting', 20_000);

    const decide = (comment: string) => wang.request('task.decide', { task_id: task.task_id, decision: 'approve', comment }, ulid(), 40_000);
    await stack.restartWorker('SIGKILL', async () => {
      expect(errorOf(await decide('first try')).code).toBe('E_UNAVAILABLE');
    });
    // The retry joins the first decision, still on its way, rather than being refused as a
    // second; it may itself go unconfirmed while the new worker starts, as a client's would.
    let retried = await decide('second try');
    for (let i = 0; i < 3 && !retried.ok && retried.error.code === 'E_UNAVAILABLE'; i++) retried = await decide('second try');
    expect(retried.ok ? (retried.result as { task: Task }).task : retried.error).toMatchObject({
      state: 'approved', decision: { by: 'u_wang', decision: 'approve', comment: 'first try' },
    });
    expect(await runOf(task.workflow_id, (r) => r.status === 'completed', 60_000)).toMatchObject({ step: 'done' });
    expect(await stack.m.Audit.countDocuments({ op: 'task.decide', target: task.task_id })).toBe(1);
  }, 120_000);
});
