import { describe, expect, it } from 'vitest';
import { applyPendingList, outcomeOf, pendingFor, settledFor, upsertTask } from './approvals.js';
import { task } from './fixtures.js';

const decided = (id: string, decision: 'approve' | 'reject', by: string, ts: number, comment?: string) =>
  task(id, { state: decision === 'approve' ? 'approved' : 'rejected', decision: { by, decision, ts, ...(comment ? { comment } : {}) } });

describe('upsertTask', () => {
  it('keeps one task per id, the latest state', () => {
    const book = upsertTask(upsertTask({}, task('t-1')), decided('t-1', 'approve', 'u_wang', 5));
    expect(Object.values(book)).toEqual([decided('t-1', 'approve', 'u_wang', 5)]);
  });

  it('never takes a settled task back to pending', () => {
    const book = upsertTask(upsertTask({}, decided('t-1', 'reject', 'u_wang', 5)), task('t-1'));
    expect(book['t-1']?.state).toBe('rejected');
  });
});

describe('applyPendingList', () => {
  it('drops my pending tasks that the list no longer holds, keeps everyone else’s and my settled ones', () => {
    let book = upsertTask({}, task('t-gone'));
    book = upsertTask(book, task('t-other', { approver_id: 'u_zhang' }));
    book = upsertTask(book, decided('t-done', 'approve', 'u_wang', 5));
    const next = applyPendingList(book, 'u_wang', [task('t-new')]);
    expect(Object.keys(next).sort()).toEqual(['t-done', 't-new', 't-other']);
  });
});

describe('pendingFor and settledFor', () => {
  const book = [
    task('t-late', { due_at: 300 }),
    task('t-soon', { due_at: 100 }),
    task('t-theirs', { approver_id: 'u_zhang' }),
    decided('t-old', 'approve', 'u_wang', 10),
    decided('t-new', 'reject', 'u_wang', 20),
    task('t-escalated', { state: 'escalated', due_at: 15 }),
  ].reduce(upsertTask, {});

  it('lists the approver’s pending tasks, the most urgent first', () => {
    expect(pendingFor(book, 'u_wang').map((t) => t.task_id)).toEqual(['t-soon', 't-late']);
    expect(pendingFor(book, 'u_li')).toEqual([]);
  });

  it('lists the approver’s settled tasks, the latest first', () => {
    expect(settledFor(book, 'u_wang').map((t) => t.task_id)).toEqual(['t-new', 't-escalated', 't-old']);
  });
});

describe('outcomeOf', () => {
  it('says who decided, and that it was me', () => {
    expect(outcomeOf(decided('t', 'approve', 'u_wang', 1), 'u_wang')).toEqual({ state: 'approved', by: { me: true } });
    expect(outcomeOf(decided('t', 'reject', 'u_wang', 1), 'u_li')).toEqual({ state: 'rejected', by: { me: false, id: 'u_wang' } });
  });

  it('tells an escalation and a pending task apart', () => {
    expect(outcomeOf(task('t', { state: 'escalated' }), 'u_wang')).toEqual({ state: 'escalated' });
    expect(outcomeOf(task('t'), 'u_wang')).toEqual({ state: 'pending' });
  });
});
