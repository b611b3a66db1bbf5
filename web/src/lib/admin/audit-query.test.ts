import { describe, expect, it } from 'vitest';
import { auditQuery, exportSearch } from './audit-query.js';

const none = { actor: '', op: '', target: '', from: '', to: '', kind: 'changes' as const };

describe('auditQuery', () => {
  it('leaves empty filters out and trims the rest', () => {
    expect(auditQuery(none)).toEqual({ actor: undefined, op: undefined, target: undefined, kind: 'changes' });
    expect(auditQuery({ ...none, actor: ' u_wang ', op: 'admin.employee.disable', target: 'u_li' })).toMatchObject({ actor: 'u_wang', op: 'admin.employee.disable', target: 'u_li' });
  });

  it('takes days in the reader’s time zone, the last one whole', () => {
    const q = auditQuery({ ...none, from: '2025-03-01', to: '2025-03-02' });
    expect(q.since).toBe(new Date(2025, 2, 1).getTime());
    expect(q.until).toBe(new Date(2025, 2, 3).getTime() - 1);
    expect(auditQuery({ ...none, from: 'not-a-day' }).since).toBeUndefined();
  });
});

describe('exportSearch', () => {
  it('is the same selection as a file, without the page', () => {
    const search = new URLSearchParams(exportSearch({ actor: 'u_wang', op: undefined, kind: 'all', limit: 50, before_id: '01J', since: 5 }, 'ndjson'));
    expect(Object.fromEntries(search)).toEqual({ format: 'ndjson', actor: 'u_wang', kind: 'all', since: '5' });
  });
});
