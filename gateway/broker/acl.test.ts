import { describe, expect, it, vi } from 'vitest';
import { canPublish, canSubscribe, type Memberships, type Principal } from './acl.js';

const service: Principal = { kind: 'service', name: 'gateway' };
const member: Principal = { kind: 'employee', id: 'u_li', clientId: 'u_li:web', role: 'member' };
const admin: Principal = { kind: 'employee', id: 'u_boss', clientId: 'u_boss:web', role: 'admin' };

const groups: Record<string, string[]> = { u_li: ['g_sales'], u_boss: ['g_board'] };
const memberships: Memberships = async (id) => new Set(groups[id] ?? []);

// [filter, service, member u_li, admin u_boss]
const subscribe: [string, boolean, boolean, boolean][] = [
  // inbox: own only, never a wildcard
  ['mchat/inbox/u_li', true, true, false],
  ['mchat/inbox/u_boss', true, false, true],
  ['mchat/inbox/+', true, false, false],
  ['mchat/inbox/#', true, false, false],
  // responses: own client id only (not another device of the same employee)
  ['mchat/msg/resp/u_li:web/s1', true, true, false],
  ['mchat/msg/resp/u_li:web/+', true, true, false],
  ['mchat/msg/resp/u_li:web/#', true, true, false],
  ['mchat/msg/resp/u_boss:web/+', true, false, true],
  ['mchat/msg/resp/u_boss:web/#', true, false, true],
  ['mchat/msg/resp/u_li:phone/+', true, false, false],
  ['mchat/msg/resp/u_li:phone/s1', true, false, false],
  ['mchat/msg/resp/+/+', true, false, false],
  ['mchat/msg/resp/+/s1', true, false, false],
  ['mchat/msg/resp/#', true, false, false],
  ['mchat/msg/resp/u_li:web', true, false, false],
  // groups: members only
  ['mchat/group/g_sales', true, true, false],
  ['mchat/group/g_board', true, false, true],
  ['mchat/group/g_none', true, false, false],
  ['mchat/group/+', true, false, false],
  ['mchat/group/#', true, false, false],
  // organisation-wide directory topics
  ['mchat/status/u_li', true, true, true],
  ['mchat/status/u_other', true, true, true],
  ['mchat/status/+', true, true, true],
  ['mchat/profile/u_other', true, true, true],
  ['mchat/profile/+', true, true, true],
  ['mchat/agent/capability/orders', true, true, true],
  ['mchat/agent/capability/+', true, true, true],
  ['mchat/org/tree', true, true, true],
  ['mchat/system/notify', true, true, true],
  // no other wildcards, no requests or admin commands, nothing outside mchat
  ['mchat/status/#', true, false, false],
  ['mchat/profile/#', true, false, false],
  ['mchat/agent/capability/#', true, false, false],
  ['mchat/agent/#', true, false, false],
  ['mchat/msg/req/s1', true, false, false],
  ['mchat/msg/req/+', true, false, false],
  ['mchat/admin/cmd', true, false, false],
  ['mchat/admin/+', true, false, false],
  ['mchat/#', true, false, false],
  ['mchat/+', true, false, false],
  ['mchat/+/u_li', true, false, false],
  ['mchat/+/+', true, false, false],
  ['#', true, false, false],
  ['+/inbox/u_li', true, false, false],
  ['$SYS/#', true, false, false],
  ['$SYS/broker/clients', true, false, false],
  ['$share/g/mchat/inbox/u_li', true, false, false],
  ['other/topic', true, false, false],
  ['mchat/inbox/u_li/extra', true, false, false],
  ['', true, false, false],
];

// [topic, service, member u_li, admin u_boss]
const publish: [string, boolean, boolean, boolean][] = [
  ['mchat/msg/req/01JD3ABC', true, true, true],
  ['mchat/msg/req/+', true, false, false],
  ['mchat/msg/req/#', true, false, false],
  ['mchat/msg/req', true, false, false],
  ['mchat/status/u_li', true, true, false],
  ['mchat/status/u_boss', true, false, true],
  ['mchat/status/+', true, false, false],
  ['mchat/admin/cmd', true, false, true],
  ['mchat/inbox/u_li', true, false, false],
  ['mchat/inbox/u_boss', true, false, false],
  ['mchat/group/g_sales', true, false, false],
  ['mchat/group/g_board', true, false, false],
  ['mchat/msg/resp/u_li:web/s1', true, false, false],
  ['mchat/msg/resp/u_boss:web/s1', true, false, false],
  ['mchat/profile/u_li', true, false, false],
  ['mchat/profile/u_boss', true, false, false],
  ['mchat/org/tree', true, false, false],
  ['mchat/system/notify', true, false, false],
  ['mchat/agent/capability/orders', true, false, false],
  ['mchat/#', true, false, false],
  ['$SYS/broker/clients', true, false, false],
  ['other/topic', true, false, false],
  ['', true, false, false],
];

describe('canSubscribe', () => {
  it.each(subscribe)('%s: service %s, member %s, admin %s', async (filter, svc, mem, adm) => {
    expect(await canSubscribe(service, filter, memberships)).toBe(svc);
    expect(await canSubscribe(member, filter, memberships)).toBe(mem);
    expect(await canSubscribe(admin, filter, memberships)).toBe(adm);
  });

  it('asks for memberships only for group topics, and with the subscriber\'s own id', async () => {
    const spy = vi.fn(memberships);
    for (const [filter] of subscribe) if (!filter.startsWith('mchat/group/')) await canSubscribe(member, filter, spy);
    expect(spy).not.toHaveBeenCalled();
    await canSubscribe(member, 'mchat/group/g_sales', spy);
    expect(spy).toHaveBeenCalledWith('u_li');
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('does not ask for memberships for a service', async () => {
    const spy = vi.fn(memberships);
    expect(await canSubscribe(service, 'mchat/group/g_x', spy)).toBe(true);
    expect(spy).not.toHaveBeenCalled();
  });

  it('a failing membership look-up never grants a group', async () => {
    const failing: Memberships = () => Promise.reject(new Error('db down'));
    const allowed = await canSubscribe(member, 'mchat/group/g_sales', failing).catch(() => false);
    expect(allowed).toBe(false);
  });
});

describe('canPublish', () => {
  it.each(publish)('%s: service %s, member %s, admin %s', (topic, svc, mem, adm) => {
    expect(canPublish(service, topic)).toBe(svc);
    expect(canPublish(member, topic)).toBe(mem);
    expect(canPublish(admin, topic)).toBe(adm);
  });

  it('a service may publish anything, wildcards included', () => {
    for (const t of ['#', 'mchat/inbox/+', 'x']) expect(canPublish(service, t)).toBe(true);
  });
});
