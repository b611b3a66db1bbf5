import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import type { Event, Group } from '../schemas/index.js';
import { startStack, type Stack } from './stack.js';
import { TestClient, errorOf, type Received } from './client.js';

const notice = (kind: string, groupId: string) => (r: Received) => {
  const e = r.json as Event;
  return e.type === 'notify' && e.kind === kind && (e.data as { group_id?: string } | undefined)?.group_id === groupId;
};
const groupMessage = (text: string) => (r: Received) => {
  const e = r.json as Event;
  return r.topic.startsWith('mchat/group/') && e.type === 'message' && e.msg.body.text === text;
};

describe('groups run by their members', () => {
  let stack: Stack;
  let li: TestClient;
  let zhang: TestClient;
  /** An admin: sees and may change any group. */
  let wang: TestClient;
  /** A plain member outside the groups under test. */
  let chen: TestClient;

  beforeAll(async () => {
    stack = await startStack();
    const connect = async (id: string, password?: string) => TestClient.connect(stack.mqttUrl, id, await stack.login(id, password));
    [li, zhang, wang] = await Promise.all([connect('u_li'), connect('u_zhang'), connect('u_wang')]);
    await wang.ok('admin.employee.create', { id: 'u_chen', name: 'Chen Jing', department_id: null, manager_id: 'u_wang', password: 'chen-password-1' });
    chen = await connect('u_chen', 'chen-password-1');
  });
  afterAll(async () => {
    await Promise.all([li?.close(), zhang?.close(), wang?.close(), chen?.close()]);
    await stack?.stop();
  });

  it('create, chat, add, remove, leave and dissolve, each with the rights it needs', async () => {
    const { group } = await li.ok<{ group: Group }>('group.create', { name: 'Launch team', members: ['u_zhang'] });
    expect(group).toMatchObject({ owner_id: 'u_li', members: ['u_li', 'u_zhang'], dissolved: false });
    const topic = `mchat/group/${group.id}`;
    await zhang.waitFor(notice('group_joined', group.id));

    // Joined members may subscribe at once; outsiders may not, and cannot even see the group.
    await Promise.all([li.mqtt.subscribeAsync(topic, { qos: 1 }), zhang.mqtt.subscribeAsync(topic, { qos: 1 })]);
    await expect(chen.mqtt.subscribeAsync(topic, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(errorOf(await chen.request('group.get', { id: group.id })).code).toBe('E_NOT_FOUND');
    expect(errorOf(await chen.request('group.add_members', { id: group.id, members: ['u_chen'] })).code).toBe('E_NOT_FOUND');

    const hello = `hello ${ulid()}`;
    await li.ok('msg.send', { to: { group: group.id }, client_msg_id: ulid(), body: { text: hello } });
    await zhang.waitFor(groupMessage(hello));

    // Any member brings people in; only the owner removes them.
    await zhang.ok('group.add_members', { id: group.id, members: ['u_chen'] });
    await chen.waitFor(notice('group_joined', group.id));
    expect(errorOf(await zhang.request('group.remove_members', { id: group.id, members: ['u_chen'] })).code).toBe('E_FORBIDDEN');
    expect(errorOf(await zhang.request('group.dissolve', { id: group.id })).code).toBe('E_FORBIDDEN');
    expect(errorOf(await li.request('group.add_members', { id: group.id, members: ['nobody'] }))).toMatchObject({ code: 'E_NOT_FOUND', field: 'payload.members' });
    await li.ok('group.remove_members', { id: group.id, members: ['u_chen'] });
    await chen.waitFor(notice('group_left', group.id));
    expect(errorOf(await chen.request('msg.send', { to: { group: group.id }, client_msg_id: ulid(), body: { text: 'still here?' } })).code).toBe('E_FORBIDDEN');

    // The owner leaving hands the group on; the new owner may then dissolve it.
    const left = await li.ok<{ group: Group }>('group.leave', { id: group.id });
    expect(left.group).toMatchObject({ owner_id: 'u_zhang', members: ['u_zhang'] });
    expect((await stack.m.Group.findOne({ id: group.id }).lean())?.owner_id).toBe('u_zhang');
    expect(errorOf(await li.request('group.get', { id: group.id })).code).toBe('E_NOT_FOUND');
    expect(errorOf(await li.request('group.dissolve', { id: group.id })).code).toBe('E_NOT_FOUND');
    await zhang.ok('group.dissolve', { id: group.id });
    expect(errorOf(await zhang.request('group.get', { id: group.id })).code).toBe('E_NOT_FOUND');
    expect(errorOf(await zhang.request('msg.send', { to: { group: group.id }, client_msg_id: ulid(), body: { text: 'anyone?' } })).code).toMatch(/E_NOT_FOUND|E_FORBIDDEN/);
  });

  it('the last member out dissolves the group; ids are the creator’s choice or generated', async () => {
    const { group } = await chen.ok<{ group: Group }>('group.create', { id: 'g_alone', name: 'Alone' });
    expect(group).toMatchObject({ id: 'g_alone', owner_id: 'u_chen', members: ['u_chen'] });
    expect(errorOf(await li.request('group.create', { id: 'g_alone', name: 'Taken' })).code).toBe('E_CONFLICT');
    await chen.ok('group.leave', { id: 'g_alone' });
    expect((await stack.m.Group.findOne({ id: 'g_alone' }).lean())?.dissolved).toBe(true);
    expect(errorOf(await li.request('group.create', { name: 'x', members: ['u_zhang'], owner_id: 'u_zhang' })).code).toBe('E_SCHEMA');
  });

  it('lets an admin see and dissolve a group they are not in', async () => {
    const { group } = await li.ok<{ group: Group }>('group.create', { name: 'Side project', members: ['u_zhang'] });
    expect((await wang.ok<{ group: Group }>('group.get', { id: group.id })).group.members).toEqual(['u_li', 'u_zhang']);
    await wang.ok('group.dissolve', { id: group.id });
    await zhang.waitFor(notice('group_left', group.id));
  });
});
