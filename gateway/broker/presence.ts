import type { Redis } from 'ioredis';
import { employeeOfClient, Presence, type StatusUpdate } from '../../schemas/index.js';

/** A change of an employee's status that the gateway must announce; `n` orders changes. */
export interface PresenceChange {
  employeeId: string;
  presence: Presence;
  n: number;
}

// Shared by every script: drops the employee's devices that have expired, folds the rest into one
// state and, when that differs from the recorded one, records it with the next number.
const SETTLE = `
local function settle(p, emp, now)
  local devkey = p .. ':dev:' .. emp
  local devs = redis.call('HGETALL', devkey)
  local best = 'offline'
  for i = 1, #devs, 2 do
    local exp = redis.call('ZSCORE', p .. ':exp', devs[i])
    if (not exp) or tonumber(exp) <= now then
      redis.call('HDEL', devkey, devs[i])
      redis.call('ZREM', p .. ':exp', devs[i])
    elseif cjson.decode(devs[i + 1]).state == 'online' then
      best = 'online'
    elseif best == 'offline' then
      best = 'away'
    end
  end
  local cur = redis.call('HGET', p, emp)
  if cur then
    if cjson.decode(cur).state == best then return false end
  elseif best == 'offline' then
    return false
  end
  local n = redis.call('INCR', p .. ':n')
  local doc = cjson.encode({ state = best, ts = now, n = n })
  redis.call('HSET', p, emp, doc)
  return doc
end
`;

// ARGV: prefix, employee, client id, since, expires, now. A connection older than the last one
// seen ending (events from an external broker may arrive out of order) is not recorded.
const CONNECTED = `${SETTLE}
local p, emp, cid = ARGV[1], ARGV[2], ARGV[3]
local since, expires, now = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local ended = redis.call('GET', p .. ':ended:' .. cid)
local known = redis.call('HGET', p .. ':dev:' .. emp, cid)
if not ((ended and tonumber(ended) > since) or (known and cjson.decode(known).since > since)) then
  redis.call('HSET', p .. ':dev:' .. emp, cid, cjson.encode({ state = 'online', since = since }))
  redis.call('ZADD', p .. ':exp', expires, cid)
end
return settle(p, emp, now)
`;

// ARGV: prefix, employee, client id, at, tombstone ms, now. A connection that began after \`at\`
// (the same client id connecting again, a takeover) stays.
const DISCONNECTED = `${SETTLE}
local p, emp, cid = ARGV[1], ARGV[2], ARGV[3]
local at, keep, now = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local known = redis.call('HGET', p .. ':dev:' .. emp, cid)
if known and cjson.decode(known).since < at then
  redis.call('HDEL', p .. ':dev:' .. emp, cid)
  redis.call('ZREM', p .. ':exp', cid)
end
local ended = redis.call('GET', p .. ':ended:' .. cid)
if (not ended) or tonumber(ended) < at then redis.call('SET', p .. ':ended:' .. cid, at, 'PX', keep) end
return settle(p, emp, now)
`;

// ARGV: prefix, employee, client id, state, expires, now. Only a connected device has a state.
const SET_STATE = `${SETTLE}
local p, emp, cid, state = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local expires, now = tonumber(ARGV[5]), tonumber(ARGV[6])
local known = redis.call('HGET', p .. ':dev:' .. emp, cid)
if not known then return false end
local d = cjson.decode(known)
d.state = state
redis.call('HSET', p .. ':dev:' .. emp, cid, cjson.encode(d))
redis.call('ZADD', p .. ':exp', 'GT', expires, cid)
return settle(p, emp, now)
`;

// ARGV: prefix, expires, now, client ids… Devices the gateway holds live on; one the tracker lost
// (swept while Redis was out of reach, or Redis lost its data) is recorded again, online.
const RESTORE = `${SETTLE}
local p, expires, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV do
  local cid = ARGV[i]
  local emp = string.match(cid, '^([^:]+):')
  if emp then
    local added = redis.call('HSETNX', p .. ':dev:' .. emp, cid, cjson.encode({ state = 'online', since = now }))
    redis.call('ZADD', p .. ':exp', expires, cid)
    if added == 1 then
      local doc = settle(p, emp, now)
      if doc then table.insert(out, emp); table.insert(out, doc) end
    end
  end
end
return out
`;

// ARGV: prefix, now, limit. The employees of devices whose expiry passed (their gateway is gone).
const SWEEP = `${SETTLE}
local p, now, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local expired = redis.call('ZRANGEBYSCORE', p .. ':exp', '-inf', now, 'LIMIT', 0, limit)
local out = {}
for _, cid in ipairs(expired) do
  local emp = string.match(cid, '^([^:]+):')
  if emp then
    local doc = settle(p, emp, now)
    if doc then table.insert(out, emp); table.insert(out, doc) end
  end
  redis.call('ZREM', p .. ':exp', cid)
end
return out
`;

export interface PresenceTiming {
  /** How long a device counts as connected without its gateway renewing it. */
  deviceTtlMs: number;
  /** How long a connection's end is remembered, against its start arriving late. */
  endedTtlMs: number;
}

/**
 * Who is connected, across gateway processes, in Redis: each employee's devices (client ids) with
 * their own state (`online`, or `away` when idle) and an expiry that their gateway renews, so a
 * gateway that dies leaves no ghosts once it passes; and each employee's folded status, numbered,
 * which the gateway publishes retained on `mchat/status/{id}` and `GET /api/presence` reads.
 * Every change runs as one script, so gateways changing one employee at once agree on the result.
 */
export class PresenceTracker {
  private readonly p: string;

  constructor(private readonly redis: Redis, prefix: string, private readonly timing: PresenceTiming) {
    this.p = `${prefix}presence`;
  }

  connected(clientId: string, since: number): Promise<PresenceChange | undefined> {
    return this.run(CONNECTED, clientId, since, Date.now() + this.timing.deviceTtlMs);
  }

  disconnected(clientId: string, at: number): Promise<PresenceChange | undefined> {
    return this.run(DISCONNECTED, clientId, at, this.timing.endedTtlMs);
  }

  setState(clientId: string, update: StatusUpdate): Promise<PresenceChange | undefined> {
    return this.run(SET_STATE, clientId, update.state, Date.now() + this.timing.deviceTtlMs);
  }

  /** Devices heard from: known ones live another `deviceTtlMs`. */
  async renew(clientIds: readonly string[]): Promise<void> {
    if (clientIds.length === 0) return;
    const expires = Date.now() + this.timing.deviceTtlMs;
    await this.redis.zadd(`${this.p}:exp`, 'XX', ...clientIds.flatMap((id) => [expires, id]));
  }

  /**
   * The devices this gateway holds, which it knows to be connected: they live another
   * `deviceTtlMs`, and any the tracker lost is recorded again; the changes that makes.
   */
  async restore(clientIds: readonly string[]): Promise<PresenceChange[]> {
    if (clientIds.length === 0) return [];
    const now = Date.now();
    return pairs((await this.redis.eval(RESTORE, 0, this.p, now + this.timing.deviceTtlMs, now, ...clientIds)) as string[]);
  }

  /** Devices whose gateway stopped renewing them, gone; the changes that makes. */
  async sweep(limit = 500): Promise<PresenceChange[]> {
    return pairs((await this.redis.eval(SWEEP, 0, this.p, Date.now(), limit)) as string[]);
  }

  /** The recorded status and its number: what should be on the topic now. */
  async current(employeeId: string): Promise<PresenceChange | undefined> {
    const raw = await this.redis.hget(this.p, employeeId);
    return raw ? change(employeeId, raw) : undefined;
  }

  /** Everyone asked for; someone never seen is offline since 0. */
  async get(ids: readonly string[]): Promise<Record<string, Presence>> {
    const raw = await this.redis.hmget(this.p, ...ids);
    const out: Record<string, Presence> = {};
    ids.forEach((id, i) => {
      const parsed = raw[i] ? Presence.safeParse(JSON.parse(raw[i]!)) : undefined;
      out[id] = parsed?.success ? parsed.data : { state: 'offline', ts: 0 };
    });
    return out;
  }

  /** The embedded broker starts with no one connected: forget what the last run left. */
  async reset(): Promise<void> {
    const keys: string[] = [];
    for await (const batch of this.redis.scanStream({ match: `${this.p}:dev:*`, count: 500 }) as AsyncIterable<string[]>) keys.push(...batch);
    await this.redis.del(this.p, `${this.p}:exp`, ...keys);
  }

  private async run(script: string, clientId: string, ...args: (string | number)[]): Promise<PresenceChange | undefined> {
    const employeeId = employeeOfClient(clientId);
    if (!employeeId) return undefined;
    const doc = (await this.redis.eval(script, 0, this.p, employeeId, clientId, ...args, Date.now())) as string | null;
    return doc ? change(employeeId, doc) : undefined;
  }
}

function change(employeeId: string, doc: string): PresenceChange {
  const parsed = JSON.parse(doc) as Presence & { n: number };
  return { employeeId, presence: { state: parsed.state, ts: parsed.ts }, n: parsed.n };
}

/** `[employee, doc, employee, doc, …]` as a script answers them. */
function pairs(flat: string[]): PresenceChange[] {
  const out: PresenceChange[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(change(flat[i]!, flat[i + 1]!));
  return out;
}
