import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTopic, conversationTopics, parseTopic, ROOT, type Topic, TopicIdError, topics } from './topics.js';

const cases: [Topic, string][] = [
  [{ kind: 'status', employeeId: 'u_li' }, 'mchat/status/u_li'],
  [{ kind: 'profile', employeeId: 'u_li' }, 'mchat/profile/u_li'],
  [{ kind: 'req', seqId: '01JD3ABC' }, 'mchat/msg/req/01JD3ABC'],
  [{ kind: 'resp', clientId: 'u_li:web-3f2a', seqId: '01JD3ABC' }, 'mchat/msg/resp/u_li:web-3f2a/01JD3ABC'],
  [{ kind: 'inbox', employeeId: 'u_li' }, 'mchat/inbox/u_li'],
  [{ kind: 'group', groupId: 'g-sales' }, 'mchat/group/g-sales'],
  [{ kind: 'adminCmd' }, 'mchat/admin/cmd'],
  [{ kind: 'systemNotify' }, 'mchat/system/notify'],
  [{ kind: 'orgTree' }, 'mchat/org/tree'],
  [{ kind: 'capability', skill: 'order.lookup' }, 'mchat/agent/capability/order.lookup'],
];

const badIds = ['', '+', '#', 'a+', '#b', 'a/b', '/', '.', '..', 'a'.repeat(65), 'é', '订单', 'a b', ' ', 'a\u0000b', '\u0000'];

describe('buildTopic / parseTopic', () => {
  it.each(cases)('%j <-> %s', (t, s) => {
    expect(buildTopic(t)).toBe(s);
    expect(parseTopic(s)).toEqual(t);
  });

  it('the topics.* builders agree with buildTopic', () => {
    expect(topics.status('u_li')).toBe('mchat/status/u_li');
    expect(topics.profile('u_li')).toBe('mchat/profile/u_li');
    expect(topics.req('s1')).toBe('mchat/msg/req/s1');
    expect(topics.resp('u_li:web', 's1')).toBe('mchat/msg/resp/u_li:web/s1');
    expect(topics.inbox('u_li')).toBe('mchat/inbox/u_li');
    expect(topics.group('g1')).toBe('mchat/group/g1');
    expect(topics.adminCmd()).toBe('mchat/admin/cmd');
    expect(topics.systemNotify()).toBe('mchat/system/notify');
    expect(topics.orgTree()).toBe('mchat/org/tree');
    expect(topics.capability('sales')).toBe('mchat/agent/capability/sales');
    expect(ROOT).toBe('mchat');
  });

  it('accepts ids of exactly 64 characters', () => {
    const id = 'x'.repeat(64);
    expect(parseTopic(topics.inbox(id))).toEqual({ kind: 'inbox', employeeId: id });
  });
});

describe('bad ids', () => {
  const builders: [string, (id: string) => string][] = [
    ['status', topics.status],
    ['profile', topics.profile],
    ['req', topics.req],
    ['resp client', (id) => topics.resp(id, 's1')],
    ['resp seq', (id) => topics.resp('u_li:web', id)],
    ['inbox', topics.inbox],
    ['group', topics.group],
    ['capability', topics.capability],
  ];
  const matrix = builders.flatMap(([name, build]) => badIds.map((id) => [name, id, build] as const));

  it.each(matrix)('%s builder throws TopicIdError for %j', (_, id, build) => {
    let thrown: unknown;
    try {
      build(id);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TopicIdError);
    expect((thrown as TopicIdError).value).toBe(id);
  });

  it.each(badIds.filter((id) => !id.includes('/')))('parseTopic refuses %j in every id position', (id) => {
    for (const t of [
      `mchat/status/${id}`, `mchat/profile/${id}`, `mchat/inbox/${id}`, `mchat/group/${id}`, `mchat/msg/req/${id}`,
      `mchat/agent/capability/${id}`, `mchat/msg/resp/${id}/s1`, `mchat/msg/resp/u_li:web/${id}`,
    ]) expect(parseTopic(t), t).toBeUndefined();
  });
});

describe('parseTopic on near misses', () => {
  it.each([
    '', 'mchat', 'mchat/', 'mchat//', '/mchat/inbox/u_li', 'MChat/inbox/u_li', 'mqtt/inbox/u_li', 'xmchat/inbox/u_li',
    'mchat/inbox', 'mchat/inbox/', 'mchat/inbox/u_li/', 'mchat/inbox/u_li/extra', 'mchat/inboxes/u_li', 'mchat/Inbox/u_li',
    'mchat/msg/req', 'mchat/msg/req/', 'mchat/msg/req/a/b', 'mchat/msg/resp/a', 'mchat/msg/resp/a/', 'mchat/msg/resp/a/b/c',
    'mchat/msg/other/a', 'mchat/msg/a', 'mchat/msg/resp', 'mchat/admin/cmd/x', 'mchat/admin/other', 'mchat/admin',
    'mchat/system/notify/x', 'mchat/system/other', 'mchat/org/tree/x', 'mchat/org/chart', 'mchat/agent/capability',
    'mchat/agent/capability/a/b', 'mchat/agent/skills/a', 'mchat/#', 'mchat/+/u_li', 'mchat/inbox/+', 'mchat/group/#',
    '$SYS/broker/uptime', 'mchat/status/u_li ', ' mchat/status/u_li',
  ])('%j -> undefined', (s) => expect(parseTopic(s)).toBeUndefined());
});

describe('properties', () => {
  const id = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/).filter((s) => s !== '.' && s !== '..');
  const topic: fc.Arbitrary<Topic> = fc.oneof(
    id.map((employeeId) => ({ kind: 'status' as const, employeeId })),
    id.map((employeeId) => ({ kind: 'profile' as const, employeeId })),
    id.map((seqId) => ({ kind: 'req' as const, seqId })),
    fc.tuple(id, id).map(([clientId, seqId]) => ({ kind: 'resp' as const, clientId, seqId })),
    id.map((employeeId) => ({ kind: 'inbox' as const, employeeId })),
    id.map((groupId) => ({ kind: 'group' as const, groupId })),
    fc.constant({ kind: 'adminCmd' as const }),
    fc.constant({ kind: 'systemNotify' as const }),
    fc.constant({ kind: 'orgTree' as const }),
    id.map((skill) => ({ kind: 'capability' as const, skill })),
  );

  it('parseTopic(buildTopic(t)) deep-equals t', () => {
    fc.assert(fc.property(topic, (t) => {
      expect(parseTopic(buildTopic(t))).toEqual(t);
    }));
  });

  it('a built topic has the expected number of levels and no wildcard', () => {
    fc.assert(fc.property(topic, (t) => {
      const s = buildTopic(t);
      expect(s.startsWith('mchat/')).toBe(true);
      expect(s).not.toMatch(/[+#]/);
      expect(s.split('/').length).toBe(t.kind === 'resp' ? 5 : t.kind === 'req' || t.kind === 'capability' ? 4 : 3);
    }));
  });

  it('any id containing a wildcard or slash makes every builder throw', () => {
    const poisoned = fc
      .tuple(fc.string({ maxLength: 20 }), fc.constantFrom('+', '#', '/'), fc.string({ maxLength: 20 }))
      .map(([a, w, b]) => a + w + b);
    fc.assert(fc.property(poisoned, (bad) => {
      for (const build of [topics.status, topics.profile, topics.req, topics.inbox, topics.group, topics.capability]) {
        expect(() => build(bad)).toThrow(TopicIdError);
      }
      expect(() => topics.resp(bad, 's1')).toThrow(TopicIdError);
      expect(() => topics.resp('u_li:web', bad)).toThrow(TopicIdError);
    }));
  });

  it('parseTopic never throws and only returns topics that rebuild to the same string', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), topic.map(buildTopic).chain((s) => fc.constantFrom(s, s + '/x', s.slice(0, -1)))), (s) => {
      const t = parseTopic(s);
      if (t) expect(buildTopic(t)).toBe(s);
    }));
  });
});

describe('conversationTopics', () => {
  it('a direct chat goes to both inboxes', () => {
    expect(conversationTopics({ kind: 'direct', members: ['a_sales', 'u_li'] })).toEqual(['mchat/inbox/a_sales', 'mchat/inbox/u_li']);
  });
  it('a group goes once to its group topic', () => {
    expect(conversationTopics({ kind: 'group', groupId: 'g1' })).toEqual(['mchat/group/g1']);
  });
  it('refuses bad ids', () => {
    expect(() => conversationTopics({ kind: 'direct', members: ['u_li', '#'] })).toThrow(TopicIdError);
    expect(() => conversationTopics({ kind: 'group', groupId: '+' })).toThrow(TopicIdError);
  });
});
