import { MAX_STATUS_UPDATE_BYTES, StatusUpdate, topics, type GatewayStatusTopic, type StatusTopic } from '../../schemas/index.js';
import type { Logger } from '../../lib/logger.js';
import type { Publisher } from '../../store/publisher.js';
import type { PresenceChange, PresenceTracker } from './presence.js';

/** A client's publish on its own status topic, if it is one the protocol allows. */
export function statusUpdate(payload: Buffer): StatusUpdate | undefined {
  if (payload.length > MAX_STATUS_UPDATE_BYTES) return undefined;
  try {
    const parsed = StatusUpdate.safeParse(JSON.parse(payload.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface StatusAnnouncerOptions {
  tracker: PresenceTracker;
  log: Logger;
  /**
   * The client ids to renew every `renewMs`: `held` are connected through this gateway (the
   * embedded broker), so any the tracker lost are recorded again; `heard` were only heard from.
   */
  renewing: () => { held: readonly string[] } | { heard: readonly string[] };
  renewMs: number;
  /** Where to publish an employee's status: `mchat/status/{id}` unless the broker rewrites it there. */
  topic?: (employeeId: string) => StatusTopic | GatewayStatusTopic;
}

/**
 * The gateway's side of presence: applies connections, disconnections and clients' own updates to
 * the tracker and publishes each resulting change, retained, on `mchat/status/{id}`. Publishing
 * waits for the broker's acknowledgement and then looks again: if another gateway recorded a later
 * change meanwhile, the later one is published after ours, so the retained status ends as the
 * last recorded whichever publish the broker took first. Every `renewMs` it renews the devices
 * connected here and sweeps the ones whose gateway stopped renewing them.
 */
export class StatusAnnouncer {
  private publisher?: Publisher;
  // The number of the last status published per employee: a change another turn already published
  // (see announce) is not published twice.
  private readonly published = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: StatusAnnouncerOptions) {
    this.timer = setInterval(() => void this.tick(), opts.renewMs);
    this.timer.unref();
  }

  /** Set once the broker is up; changes before that are recorded and published by the next one. */
  attach(publisher: Publisher): void {
    this.publisher = publisher;
  }

  connected(clientId: string, since = Date.now()): void {
    this.apply(this.opts.tracker.connected(clientId, since), clientId);
  }

  disconnected(clientId: string, at = Date.now()): void {
    this.apply(this.opts.tracker.disconnected(clientId, at), clientId);
  }

  /** A client's publish on its own status topic: refused (logged) unless a valid update. */
  update(clientId: string, payload: Buffer): void {
    const update = statusUpdate(payload);
    if (!update) return this.opts.log.info({ clientId, bytes: payload.length }, 'status publish refused: not a status update');
    this.apply(this.opts.tracker.setState(clientId, update), clientId);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private apply(change: Promise<PresenceChange | undefined>, clientId: string): void {
    change.then(
      (c) => c && this.announce(c),
      (err: unknown) => this.opts.log.warn({ err, clientId }, 'could not record presence'),
    );
  }

  private async announce(change: PresenceChange): Promise<void> {
    const publisher = this.publisher;
    if (!publisher) return;
    let next = change;
    try {
      // Bounded: each turn publishes a strictly later change.
      for (let turn = 0; turn < 5; turn++) {
        if (next.n <= (this.published.get(next.employeeId) ?? 0)) return;
        this.published.set(next.employeeId, next.n);
        const topic = (this.opts.topic ?? topics.status)(next.employeeId);
        await publisher.publish(topic, next.presence, { qos: 1, retain: true });
        const now = await this.opts.tracker.current(next.employeeId);
        if (!now || now.n <= next.n) return;
        next = now;
      }
    } catch (err) {
      this.opts.log.warn({ err, employeeId: change.employeeId }, 'could not publish presence');
    }
  }

  private async tick(): Promise<void> {
    try {
      const due = this.opts.renewing();
      let restored: PresenceChange[] = [];
      if ('held' in due) restored = await this.opts.tracker.restore(due.held);
      else await this.opts.tracker.renew(due.heard);
      for (const change of [...restored, ...(await this.opts.tracker.sweep())]) await this.announce(change);
    } catch (err) {
      this.opts.log.warn({ err }, 'could not renew or sweep presence');
    }
  }
}
