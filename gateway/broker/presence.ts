import type { Redis } from 'ioredis';
import { Presence } from '../../schemas/index.js';
import type { Logger } from '../../lib/logger.js';

/**
 * Who is online, for the HTTP API: a Redis hash of each employee's last status, fed by what
 * clients publish on `mchat/status/{id}` (Last Wills included) and by the gateway itself when an
 * employee's last connection closes cleanly (MQTT drops the will then).
 */
export class PresenceTracker {
  private readonly key: string;

  constructor(private readonly redis: Redis, prefix: string, private readonly log: Logger) {
    this.key = `${prefix}presence`;
  }

  record(employeeId: string, payload: Buffer | Presence): void {
    let presence: Presence;
    try {
      presence = Buffer.isBuffer(payload) ? Presence.parse(JSON.parse(payload.toString('utf8'))) : payload;
    } catch {
      return this.log.warn({ employeeId }, 'bad presence payload ignored');
    }
    this.redis.hset(this.key, employeeId, JSON.stringify(presence)).catch((err: unknown) =>
      this.log.warn({ err, employeeId }, 'could not record presence'),
    );
  }

  /** Everyone asked for; someone never seen is offline since 0. */
  async get(ids: readonly string[]): Promise<Record<string, Presence>> {
    const raw = await this.redis.hmget(this.key, ...ids);
    const out: Record<string, Presence> = {};
    ids.forEach((id, i) => {
      const parsed = raw[i] ? Presence.safeParse(JSON.parse(raw[i]!)) : undefined;
      out[id] = parsed?.success ? parsed.data : { state: 'offline', ts: 0 };
    });
    return out;
  }

  /** The embedded broker starts with no one connected: forget what the last run left. */
  async reset(): Promise<void> {
    await this.redis.del(this.key);
  }
}
