import { parseTopic } from '../../schemas/topics.js';

/** Who is on the other end of an MQTT connection, as established at CONNECT. */
export type Principal =
  | { kind: 'service'; name: string }
  | { kind: 'employee'; id: string; clientId: string; role: 'member' | 'admin' };

/** Group ids the employee belongs to; asked only when a group topic is at stake. */
export type Memberships = (employeeId: string) => Promise<ReadonlySet<string>>;

// Directory-style topics anyone in the organisation may watch, wildcard included.
const OPEN_FILTERS = new Set(['mchat/status/+', 'mchat/profile/+', 'mchat/agent/capability/+']);

/**
 * May `p` subscribe to `filter`? Employees get their own inbox and response topics, the groups
 * they belong to, and the organisation-wide directory topics; nothing else, and no wildcards
 * beyond the ones above and their own response topic.
 */
export async function canSubscribe(p: Principal, filter: string, memberships: Memberships): Promise<boolean> {
  if (p.kind === 'service') return true;
  if (OPEN_FILTERS.has(filter)) return true;
  const ownResp = `mchat/msg/resp/${p.clientId}/`;
  if (filter === `${ownResp}+` || filter === `${ownResp}#`) return true;
  const t = parseTopic(filter);
  switch (t?.kind) {
    case 'inbox': return t.employeeId === p.id;
    case 'resp': return t.clientId === p.clientId;
    case 'group': return (await memberships(p.id)).has(t.groupId);
    case 'status':
    case 'profile':
    case 'capability':
    case 'orgTree':
    case 'systemNotify':
      return true;
    default:
      return false;
  }
}

/**
 * May `p` publish on `topic`? Employees publish requests and their own presence only; admins may
 * also send admin commands. Everything the others read is published by the gateway.
 */
export function canPublish(p: Principal, topic: string): boolean {
  if (p.kind === 'service') return true;
  const t = parseTopic(topic);
  switch (t?.kind) {
    case 'req': return true;
    case 'status': return t.employeeId === p.id;
    case 'adminCmd': return p.role === 'admin';
    default: return false;
  }
}
