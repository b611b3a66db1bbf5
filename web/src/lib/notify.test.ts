import { describe, expect, it } from 'vitest';
import { message, task } from './fixtures';
import { alertFor, Mutes } from './notify';

const nameOf = (id: string) => ({ u_wang: '王芳', a_sales: '销售助手' })[id] ?? id;

describe('alertFor', () => {
  it('tells of a message from someone else, unless the conversation is muted', () => {
    const msg = message(3, { from: 'u_wang', conversation_id: 'd:u_li:u_wang', body: { text: '在吗', mentions: [], attachments: [] } });
    expect(alertFor({ v: 1, type: 'message', msg }, 'u_li', () => false, nameOf)).toEqual({
      from: '王芳',
      body: '在吗',
      conversationId: 'd:u_li:u_wang',
      tag: msg.msg_id,
    });
    expect(alertFor({ v: 1, type: 'message', msg }, 'u_li', (id) => id === 'd:u_li:u_wang', nameOf)).toBeNull();
    expect(alertFor({ v: 1, type: 'message', msg: { ...msg, from: 'u_li' } }, 'u_li', () => false, nameOf)).toBeNull();
  });
  it('tells of a pending approval task for me only', () => {
    const t = task('t1', { approver_id: 'u_li', summary: '报销 ¥800' });
    expect(alertFor({ v: 1, type: 'task', task: t }, 'u_li', () => false, nameOf)?.body).toBe('报销 ¥800');
    expect(alertFor({ v: 1, type: 'task', task: { ...t, state: 'approved' } }, 'u_li', () => false, nameOf)).toBeNull();
    expect(alertFor({ v: 1, type: 'task', task: t }, 'u_zhang', () => false, nameOf)).toBeNull();
  });
});

describe('Mutes', () => {
  it('remembers muted conversations and survives a damaged entry', () => {
    const items: Record<string, string> = {};
    const store = {
      getItem: (k: string) => items[k] ?? null,
      setItem: (k: string, v: string) => void (items[k] = v),
    } as Storage;
    const mutes = new Mutes(store);
    mutes.set('g:sales', true);
    expect(new Mutes(store).has('g:sales')).toBe(true);
    mutes.set('g:sales', false);
    expect(mutes.has('g:sales')).toBe(false);
    items['mchat.muted'] = '{';
    expect(mutes.has('g:sales')).toBe(false);
  });
});
